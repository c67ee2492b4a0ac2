//! Rendering: a pure function of the [`State`]. Nothing here reads files, the clock or the
//! environment. Layout uses `Layout` constraints. Each frame says what it measured (a
//! [`Viewport`]: the body's height, the scrolled text's lines), which the runtime feeds
//! back to the update function: keys page and scroll by it, and never call in here.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, TableState};

use super::keymap;
use super::state::{ItemCheck, ItemsView, Screen, Scrolled, State, TextExtent, Tone, Viewport};
pub use super::state::{MIN_HEIGHT, MIN_WIDTH};
use crate::attest::format_time;
use crate::checklist::{Item, Phase};
use crate::engine::{AutoStatus, CheckStatus};
use crate::session::contradicts;
use crate::signoff::Mark;
use crate::validity::Freshness;

mod forms;
use forms::{answer_form, pick, search, sign_form, target};

/// From this width lists show the selected item's detail beside them.
const WIDE: u16 = 110;

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const OBSERVED_MAX: usize = 240;

fn spinner(state: &State) -> &'static str {
    SPINNER[usize::try_from(state.tick % 10).unwrap_or(0)]
}

/// header, body, message line, hint line.
fn layout(area: Rect) -> [Rect; 4] {
    Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area)
}

#[cfg(test)]
fn size_rect(state: &State) -> Rect {
    Rect::new(0, 0, state.size.0, state.size.1)
}

/// Rows of the body at the current terminal size (the tests' view of the viewport).
#[cfg(test)]
pub fn body_height(state: &State) -> u16 {
    layout(size_rect(state))[1].height
}

/// Inside a bordered block filling the body.
#[cfg(test)]
fn framed_body(state: &State) -> Rect {
    Block::bordered().inner(layout(size_rect(state))[1])
}

/// How far a text scrolls in a frame at the state's terminal size, computed afresh: what
/// the next frame will measure (the tests check the keys against it; the keys themselves
/// use the viewport the last frame recorded).
#[cfg(test)]
fn max_scroll_at_size(state: &State, of: Scrolled, lines: impl FnOnce(u16) -> usize) -> u16 {
    let inner = framed_body(state);
    TextExtent {
        of,
        lines: lines(inner.width),
        height: inner.height,
    }
    .max_scroll()
}

#[cfg(test)]
pub fn detail_scroll_max(state: &State, item_id: &str) -> u16 {
    state.checklist.item(item_id).map_or(0, |item| {
        max_scroll_at_size(state, Scrolled::Detail(item.id.clone()), |width| {
            detail_lines(state, item, width).len()
        })
    })
}

#[cfg(test)]
pub fn review_scroll_max(state: &State) -> u16 {
    max_scroll_at_size(state, Scrolled::Review, |width| {
        review_lines(state, width).len()
    })
}

#[cfg(test)]
pub fn help_scroll_max(state: &State) -> u16 {
    max_scroll_at_size(state, Scrolled::Help, |width| {
        help_lines(state, width).len()
    })
}

/// Draws the whole screen.
pub fn render(state: &State, frame: &mut Frame) {
    let _ = draw(state, frame);
}

/// Draws the whole screen and says what it measured, for the runtime to feed back
/// ([`Msg::Layout`](super::state::Msg::Layout)).
pub fn draw(state: &State, frame: &mut Frame) -> Viewport {
    assert!(
        !state.panic_in_render,
        "test hook: a forced panic while drawing"
    );
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let cursor = too_small(state, frame, area);
        frame.set_cursor_position(cursor);
        return Viewport::default();
    }
    let [header, body, message, hints] = layout(area);
    draw_header(state, frame, header);
    let base = state
        .screens
        .iter()
        .rposition(|s| !s.is_popup())
        .unwrap_or(0);
    let mut cursor = Position::new(body.x, body.y);
    let mut text = None;
    for (n, screen) in state.screens.iter().enumerate().skip(base) {
        cursor = if n == base {
            let (at, extent) = draw_screen(state, screen, frame, body);
            text = extent;
            at
        } else {
            draw_popup(state, screen, frame, body)
        };
    }
    draw_message(state, frame, message);
    draw_hints(state, frame, hints);
    frame.set_cursor_position(cursor);
    Viewport {
        body_height: body.height,
        text,
    }
}

fn too_small(state: &State, frame: &mut Frame, area: Rect) -> Position {
    let lines = vec![
        Line::styled(
            format!("terminal too small (need {MIN_WIDTH}×{MIN_HEIGHT})"),
            state.theme.title(),
        ),
        Line::raw(format!("now {}×{}", area.width, area.height)),
        Line::raw("enlarge it, or press q to quit"),
    ];
    let mut wrapped = Vec::new();
    for line in lines {
        let style = line.style;
        let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
        wrapped.extend(wrap(&text, area.width, "", style));
    }
    let height = u16::try_from(wrapped.len()).unwrap_or(u16::MAX);
    let [middle] = Layout::vertical([Constraint::Length(height)])
        .flex(Flex::Center)
        .areas(area);
    frame.render_widget(
        Paragraph::new(wrapped).alignment(ratatui::layout::Alignment::Center),
        middle,
    );
    Position::new(middle.x, middle.y)
}

fn draw_header(state: &State, frame: &mut Frame, area: Rect) {
    let t = state.theme;
    let right = checks_summary(state);
    let right_width = u16::try_from(Span::raw(&right).width() + 2).unwrap_or(0);
    let [left_area, right_area] =
        Layout::horizontal([Constraint::Fill(1), Constraint::Length(right_width)]).areas(area);
    let left = format!(
        " readiness · {} {}",
        state.checklist.title, state.checklist.version
    );
    frame.render_widget(
        Paragraph::new(truncate(&left, left_area.width)).style(t.bar()),
        left_area,
    );
    frame.render_widget(
        Paragraph::new(format!("{right} "))
            .style(t.bar())
            .right_aligned(),
        right_area,
    );
}

/// The automatic checks in a few words, for the header.
fn checks_summary(state: &State) -> String {
    let c = &state.checks;
    if c.running {
        let spin = spinner(state);
        return if c.discovering {
            format!("{spin} checks: listing the resource group")
        } else if c.documents > 0 {
            format!("{spin} checks: {}/{} documents", c.fetched, c.documents)
        } else {
            format!("{spin} checks running")
        };
    }
    if c.failed.is_some() {
        return "⚠ checks could not run".into();
    }
    match c.summary {
        Some(s) if s.pass + s.fail + s.error == 0 => {
            if state.config.offline {
                "checks skipped (--offline)".into()
            } else {
                "checks skipped".into()
            }
        }
        Some(s) => format!("checks ✔ {} ✖ {} ⚠ {}", s.pass, s.fail, s.error),
        None => String::new(),
    }
}

fn draw_message(state: &State, frame: &mut Frame, area: Rect) {
    let t = state.theme;
    if state.saving.slow() {
        let then = if state.saving.then_quit {
            " the wizard quits once it is saved"
        } else {
            ""
        };
        let text = format!(
            " {} saving…{then} (waiting for another readiness to finish)",
            spinner(state)
        );
        frame.render_widget(
            Paragraph::new(Line::styled(truncate(&text, area.width), t.warning())),
            area,
        );
        return;
    }
    let Some(m) = &state.message else { return };
    let (glyph, style) = match m.tone {
        Tone::Info => ("", Style::new()),
        Tone::Success => ("✔ ", t.success()),
        Tone::Error => ("✖ ", t.error()),
    };
    frame.render_widget(
        Paragraph::new(Line::styled(
            truncate(&format!(" {glyph}{}", m.text), area.width),
            style,
        )),
        area,
    );
}

/// The hint line: the context's keys, then help and quit, which always keep their room.
fn draw_hints(state: &State, frame: &mut Frame, area: Rect) {
    let t = state.theme;
    let hints = keymap::hints(state.context());
    let cost = |h: &keymap::Hint| 3 + h.keys.chars().count() + 1 + h.text.chars().count();
    let reserved: usize = hints.iter().filter(|h| h.global).map(cost).sum();
    let mut room = usize::from(area.width).saturating_sub(1 + reserved);
    let mut shown = Vec::new();
    for h in hints.iter().filter(|h| !h.global) {
        if cost(h) > room {
            break;
        }
        room -= cost(h);
        shown.push(h);
    }
    shown.extend(hints.iter().filter(|h| h.global));
    let mut spans = vec![Span::raw(" ")];
    for (n, h) in shown.into_iter().enumerate() {
        if n > 0 {
            spans.push(Span::styled(" · ", t.dim()));
        }
        spans.push(Span::styled(h.keys.clone(), t.key()));
        spans.push(Span::raw(format!(" {}", h.text)));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// Draws a full screen; a scrolled text says how long it is.
fn draw_screen(
    state: &State,
    screen: &Screen,
    frame: &mut Frame,
    area: Rect,
) -> (Position, Option<TextExtent>) {
    let plain = |at| (at, None);
    let text = |(at, extent)| (at, Some(extent));
    match screen {
        Screen::Overview { phase } => plain(overview(state, *phase, frame, area)),
        Screen::Items(view) => plain(items(state, view, frame, area)),
        Screen::Detail { item, scroll } => match state.checklist.item(item) {
            Some(item) => text(detail(state, item, *scroll, frame, area)),
            None => plain(Position::new(area.x, area.y)),
        },
        Screen::Target(form) => plain(target(state, form, frame, area)),
        Screen::Review { scroll } => text(scrolled(
            frame,
            area,
            (" Review and sign ", Scrolled::Review),
            review_lines(state, Block::bordered().inner(area).width),
            *scroll,
        )),
        Screen::Help { scroll } => text(scrolled(
            frame,
            area,
            (" Help ", Scrolled::Help),
            help_lines(state, Block::bordered().inner(area).width),
            *scroll,
        )),
        // Popups without a screen below (not reachable): draw them on the body.
        Screen::Answer(_) | Screen::Sign(_) | Screen::Pick(_) | Screen::Search { .. } => {
            plain(draw_popup(state, screen, frame, area))
        }
    }
}

fn draw_popup(state: &State, screen: &Screen, frame: &mut Frame, area: Rect) -> Position {
    match screen {
        Screen::Answer(form) => answer_form(state, form, frame, area),
        Screen::Sign(form) => sign_form(state, form, frame, area),
        Screen::Pick(picker) => pick(state, picker, frame, area),
        Screen::Search { query, .. } => search(state, query, frame, area),
        other => draw_screen(state, other, frame, area).0,
    }
}

/// A bordered block of pre-wrapped lines, scrolled; says how far it scrolls.
fn scrolled(
    frame: &mut Frame,
    area: Rect,
    (title, of): (&str, Scrolled),
    lines: Vec<Line<'static>>,
    scroll: u16,
) -> (Position, TextExtent) {
    let block = Block::bordered().title(title.to_string());
    let inner = block.inner(area);
    let extent = TextExtent {
        of,
        lines: lines.len(),
        height: inner.height,
    };
    let scroll = scroll.min(extent.max_scroll());
    frame.render_widget(Paragraph::new(lines).block(block).scroll((scroll, 0)), area);
    (Position::new(inner.x, inner.y), extent)
}

// ── Overview ────────────────────────────────────────────────────────────────────────────

fn overview(state: &State, selected: usize, frame: &mut Frame, area: Rect) -> Position {
    let t = state.theme;
    let roomy = area.height >= 20;
    let gap = u16::from(roomy);
    let [target_area, phases_area, next_area, attention_area] = Layout::vertical([
        Constraint::Length(3 + gap),
        Constraint::Length(3 * (3 + gap)),
        Constraint::Length(2),
        Constraint::Fill(1),
    ])
    .areas(area);
    // Answers to review, by phase: weighed once per frame, used by the rows and "Next".
    let reviews: Vec<usize> = Phase::ALL.iter().map(|&p| state.review_count(p)).collect();

    frame.render_widget(Paragraph::new(target_lines(state, area.width)), target_area);

    let mut cursor = Position::new(area.x, area.y);
    let rows = Layout::vertical(vec![Constraint::Length(3 + gap); 3]).split(phases_area);
    for (n, (&phase, row)) in Phase::ALL.iter().zip(rows.iter()).enumerate() {
        let counts = state.counts(Some(phase));
        let total: usize = counts.iter().sum();
        let open = counts[4];
        let answered = total - open;
        let percent = (answered * 100).checked_div(total).unwrap_or(100);
        let is_selected = n == selected;
        let marker = if is_selected { "▸ " } else { "  " };
        let right = format!("{answered} of {total} answered · {percent}%");
        let title_width = usize::from(row.width).saturating_sub(right.chars().count() + 1);
        let title = format!("{marker}{}", phase.label());
        let title_style = if is_selected {
            t.selected().patch(t.title())
        } else {
            t.title()
        };
        let mut lines = vec![Line::from(vec![
            Span::styled(pad(&title, title_width), title_style),
            Span::raw(" "),
            Span::raw(right),
        ])];
        let bar_width = usize::from(row.width.saturating_sub(4)).min(60);
        let filled = (answered * bar_width)
            .checked_div(total)
            .unwrap_or(bar_width);
        lines.push(Line::from(vec![
            Span::raw("  "),
            Span::styled("█".repeat(filled), t.success()),
            Span::styled("░".repeat(bar_width - filled), t.dim()),
        ]));
        let mut spans = vec![Span::raw("  ")];
        for (m, count) in [
            Mark::Pass,
            Mark::Fail,
            Mark::RiskAccepted,
            Mark::NotApplicable,
            Mark::Open,
        ]
        .into_iter()
        .map(|m| {
            (
                m,
                counts[Mark::ALL.iter().position(|x| *x == m).unwrap_or(0)],
            )
        }) {
            spans.push(Span::styled(
                format!("{} {count} {}", m.glyph(), m.word()),
                t.mark(m),
            ));
            spans.push(Span::raw("  "));
        }
        let review = reviews.get(n).copied().unwrap_or(0);
        if review > 0 {
            spans.push(Span::styled(format!("↻ {review} to review"), t.warning()));
        }
        lines.push(Line::from(spans));
        frame.render_widget(Paragraph::new(lines), *row);
        if is_selected {
            cursor = Position::new(row.x, row.y);
        }
    }

    let next = next_step(state, selected, &reviews);
    frame.render_widget(
        Paragraph::new(wrap(&format!("Next: {next}"), area.width, " ", t.title())),
        next_area,
    );

    let attention = attention_lines(state, attention_area.width);
    if attention_area.height > 2 && !attention.is_empty() {
        let mut lines = vec![Line::styled(" Needs attention", t.title())];
        lines.extend(attention);
        frame.render_widget(Paragraph::new(lines), attention_area);
    }
    cursor
}

fn target_lines(state: &State, width: u16) -> Vec<Line<'static>> {
    let t = state.theme;
    let target = &state.signoff.target;
    let label = |s: &str| Span::styled(format!(" {s:<11}"), t.dim());
    let deployment = match (&target.name, &target.environment) {
        (Some(n), Some(e)) => format!("{n} ({e})"),
        (Some(n), None) => n.clone(),
        (None, _) => "not set — press t".into(),
    };
    // The subscription id is long and rarely read: last, where truncation takes it.
    let azure: Vec<String> = [
        ("resource group", &target.resource_group),
        ("cluster", &target.cluster),
        ("key vault", &target.key_vault),
        ("registry", &target.registry),
        ("subscription", &target.subscription),
    ]
    .iter()
    .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k} {v}")))
    .collect();
    let azure = if azure.is_empty() {
        "no subscription or resource group set".to_string()
    } else {
        azure.join(" · ")
    };
    let signature = match &state.signoff.signoff {
        Some(s) => format!(
            "✎ signed by {} ({}), {}",
            s.name,
            s.role,
            format_time(s.signed_at)
        ),
        None => "not signed".into(),
    };
    let room = usize::from(width).saturating_sub(13);
    vec![
        Line::from(vec![
            label("Deployment"),
            Span::raw(truncate_chars(&deployment, room)),
        ]),
        Line::from(vec![
            label("Azure"),
            Span::raw(truncate_chars(&azure, room)),
        ]),
        Line::from(vec![
            label("Sign-off"),
            Span::raw(truncate_chars(
                &format!("{} · {signature}", state.config.signoff_path.display()),
                room,
            )),
        ]),
    ]
}

fn next_step(state: &State, selected: usize, reviews: &[usize]) -> String {
    if state.signoff.target.name.is_none() {
        return "set the deployment target — press t.".into();
    }
    let selected = selected.min(Phase::ALL.len() - 1);
    let phase = Phase::ALL[selected];
    let review_here = reviews.get(selected).copied().unwrap_or(0);
    if review_here > 0 {
        let (noun, verb) = if review_here == 1 {
            ("answer", "needs")
        } else {
            ("answers", "need")
        };
        return format!(
            "{review_here} {noun} in {} {verb} review (listed first) — press Enter.",
            phase.label().to_lowercase()
        );
    }
    if let Some((p, &review)) = Phase::ALL.iter().zip(reviews).find(|(_, n)| **n > 0) {
        return format!(
            "{} has {review} answer{} to review — select it and press Enter.",
            p.label(),
            plural(review)
        );
    }
    let open_here = state.counts(Some(phase))[4];
    if open_here > 0 {
        return format!(
            "answer the {open_here} open item{} of {} — press Enter.",
            plural(open_here),
            phase.label().to_lowercase()
        );
    }
    if let Some((p, open)) = Phase::ALL
        .iter()
        .map(|&p| (p, state.counts(Some(p))[4]))
        .find(|(_, open)| *open > 0)
    {
        return format!(
            "{} has {open} open item{} — select it and press Enter.",
            p.label(),
            plural(open)
        );
    }
    if state.signoff.signoff.is_none() {
        return "every item is answered — review and sign with s.".into();
    }
    match &state.attestation_written {
        Some(path) => format!(
            "done: signed, and the attestation is in {}.",
            path.display()
        ),
        None => "write the attestation — press s, then w.".into(),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Answers the automatic result contradicts, automatic failures still open, answered fails.
fn attention_lines(state: &State, width: u16) -> Vec<Line<'static>> {
    let t = state.theme;
    let mut out = Vec::new();
    for item in &state.checklist.items {
        let mark = state.mark(item);
        let auto = state.auto_status(item);
        let why = match (mark, auto) {
            (m, Some(a)) if m != Mark::Open && contradicts_mark(a, m) => {
                format!("answered {m}, automatic {}", a.label())
            }
            (Mark::Open, Some(AutoStatus::Fail)) => "open, automatic ✖ fail".to_string(),
            (Mark::Fail, _) => "answered ✖ fail".to_string(),
            _ => continue,
        };
        out.push(Line::from(vec![
            Span::styled(format!("  {} ", mark.glyph()), t.mark(mark)),
            Span::raw(truncate_chars(
                &format!("{} — {why}", item.id),
                usize::from(width).saturating_sub(4),
            )),
        ]));
    }
    out
}

fn contradicts_mark(auto: AutoStatus, mark: Mark) -> bool {
    match mark {
        Mark::Pass => contradicts(auto, crate::signoff::Status::Pass),
        Mark::Fail => contradicts(auto, crate::signoff::Status::Fail),
        _ => false,
    }
}

// ── Items of a phase ────────────────────────────────────────────────────────────────────

fn auto_cell(state: &State, item: &Item) -> (String, Style) {
    let t = state.theme;
    match state.item_check(item) {
        ItemCheck::Manual => ("manual".into(), t.dim()),
        ItemCheck::Checking => (format!("{} checking", spinner(state)), Style::new()),
        ItemCheck::Result(s) => (s.label().into(), t.auto(s)),
        ItemCheck::Skipped => ("– skipped".into(), t.dim()),
        ItemCheck::NotRun => ("automatic".into(), t.dim()),
    }
}

fn items(state: &State, view: &ItemsView, frame: &mut Frame, area: Rect) -> Position {
    let t = state.theme;
    let (list_area, side) = if area.width >= WIDE {
        let [l, r] = Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
            .areas(area);
        (l, Some(r))
    } else {
        (area, None)
    };
    let visible = state.visible(view);
    let total = state.checklist.items_in(view.phase).count();
    let title = format!(
        " {} · {} of {total} items · filter: {} ",
        view.phase.label(),
        visible.len(),
        view.filter.label()
    );
    let block = Block::bordered().title(title);
    let inner = block.inner(list_area);
    frame.render_widget(block, list_area);
    if visible.is_empty() {
        frame.render_widget(
            Paragraph::new(wrap(
                &format!(
                    "No item matches the filter “{}”. Press / to change it.",
                    view.filter.label()
                ),
                inner.width,
                " ",
                Style::new(),
            )),
            inner,
        );
        return Position::new(inner.x, inner.y);
    }
    let show_id = inner.width >= 90;
    let id_width = visible
        .iter()
        .map(|i| i.id.chars().count())
        .max()
        .unwrap_or(0)
        .min(30);
    let rows: Vec<Row> = visible
        .iter()
        .map(|item| {
            let mark = state.mark(item);
            let (auto, auto_style) = auto_cell(state, item);
            let review_style = if state.needs_review(item) {
                t.warning()
            } else {
                t.dim()
            };
            let mut cells = vec![
                Cell::from(Span::styled(mark.to_string(), t.mark(mark))),
                Cell::from(Span::styled(state.freshness_badge(item), review_style)),
                Cell::from(Span::styled(auto, auto_style)),
                Cell::from(item.severity.map_or("–", |s| s.as_str())),
            ];
            if show_id {
                cells.push(Cell::from(Span::styled(item.id.clone(), t.dim())));
            }
            cells.push(Cell::from(item.title.clone()));
            Row::new(cells)
        })
        .collect();
    let mut widths = vec![
        Constraint::Length(15),
        Constraint::Length(10),
        Constraint::Length(10),
        Constraint::Length(8),
    ];
    let mut header = vec!["Status", "Answered", "Automatic", "Severity"];
    if show_id {
        widths.push(Constraint::Length(u16::try_from(id_width).unwrap_or(30)));
        header.push("Id");
    }
    widths.push(Constraint::Fill(1));
    header.push("Item");
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(t.dim()))
        .row_highlight_style(t.selected())
        .highlight_symbol("▸ ");
    let body_rows = usize::from(inner.height.saturating_sub(1)).max(1);
    let selected = view.selected.min(visible.len() - 1);
    let offset = selected.saturating_sub(body_rows - 1);
    let mut table_state = TableState::default()
        .with_offset(offset)
        .with_selected(Some(selected));
    frame.render_stateful_widget(table, inner, &mut table_state);

    if let Some(side) = side {
        let item = visible[selected];
        let block = Block::bordered().title(format!(" {} ", item.id));
        let side_inner = block.inner(side);
        frame.render_widget(
            Paragraph::new(detail_lines(state, item, side_inner.width)).block(block),
            side,
        );
    }
    let row = u16::try_from(selected - table_state.offset()).unwrap_or(0);
    Position::new(inner.x, inner.y + 1 + row)
}

// ── Item detail ─────────────────────────────────────────────────────────────────────────

fn detail(
    state: &State,
    item: &Item,
    scroll: u16,
    frame: &mut Frame,
    area: Rect,
) -> (Position, TextExtent) {
    let in_phase: Vec<&Item> = state.checklist.items_in(item.phase).collect();
    let at = in_phase.iter().position(|i| i.id == item.id).unwrap_or(0) + 1;
    let title = format!(
        " {} · {at} of {} in {} ",
        item.id,
        in_phase.len(),
        item.phase.label().to_lowercase()
    );
    let width = Block::bordered().inner(area).width;
    scrolled(
        frame,
        area,
        (&title, Scrolled::Detail(item.id.clone())),
        detail_lines(state, item, width),
        scroll,
    )
}

/// Everything about an item, wrapped to `width`.
pub fn detail_lines(state: &State, item: &Item, width: u16) -> Vec<Line<'static>> {
    let t = state.theme;
    let mut out = wrap(&item.title, width, "", t.title());
    let mut meta = vec![item.phase.label().to_string(), item.category.clone()];
    if let Some(s) = item.severity {
        meta.push(format!("severity {s}"));
    }
    meta.push(
        if item.is_automated() {
            "automatic"
        } else {
            "manual"
        }
        .into(),
    );
    out.extend(wrap(&meta.join(" · "), width, "", t.dim()));
    out.push(Line::raw(""));
    out.extend(wrap(item.guidance.trim(), width, "", Style::new()));

    if !item.references.is_empty() {
        out.push(Line::raw(""));
        out.push(Line::styled("References", t.title()));
        for r in &item.references {
            out.extend(wrap_hanging(
                &format!("• {} — {}", r.title, r.url),
                width,
                "  ",
                "    ",
                Style::new(),
            ));
        }
    }

    out.push(Line::raw(""));
    out.push(Line::styled("Automatic result", t.title()));
    out.extend(auto_lines(state, item, width));

    out.push(Line::raw(""));
    out.push(Line::styled("Answer", t.title()));
    match state.signoff.items.get(&item.id) {
        None => out.extend(wrap(
            "○ open — p pass · f fail · n not applicable · a accept the risk · e edit",
            width,
            "  ",
            Style::new(),
        )),
        Some(a) => {
            let mark = a.status.mark();
            out.extend(wrap(
                &format!(
                    "{mark} by {}, {}",
                    a.answered_by,
                    format_time(a.answered_at)
                ),
                width,
                "  ",
                t.mark(mark),
            ));
            out.extend(standing_lines(state, item, width));
            if !a.note.is_empty() {
                out.extend(wrap_hanging(
                    &format!("Note: {}", a.note),
                    width,
                    "  ",
                    "    ",
                    Style::new(),
                ));
            }
            for e in &a.evidence {
                out.extend(wrap_hanging(
                    &format!("Evidence: {e}"),
                    width,
                    "  ",
                    "    ",
                    Style::new(),
                ));
            }
            if let Some(j) = &a.justification {
                out.extend(wrap_hanging(
                    &format!("Justification: {j}"),
                    width,
                    "  ",
                    "    ",
                    Style::new(),
                ));
            }
            if let Some(d) = a.expires {
                out.extend(wrap(&format!("Expires: {d}"), width, "  ", Style::new()));
            }
            if let Some(r) = &a.override_reason {
                out.extend(wrap_hanging(
                    &format!("Why override: {r}"),
                    width,
                    "  ",
                    "    ",
                    Style::new(),
                ));
            }
            if let Some(auto) = state.auto_status(item)
                && contradicts(auto, a.status)
            {
                out.extend(wrap(
                    &format!(
                        "⚠ the automatic result ({}) contradicts this answer",
                        auto.label()
                    ),
                    width,
                    "  ",
                    t.warning(),
                ));
            }
        }
    }

    // Last: the rules are reference, the answer above is what the operator acts on.
    if item.is_automated() {
        out.push(Line::raw(""));
        out.push(Line::styled("How it is checked", t.title()));
        for check in &item.checks {
            out.extend(wrap_hanging(
                &format!("• {}: {}", check.source, check.explain),
                width,
                "  ",
                "    ",
                Style::new(),
            ));
            out.extend(wrap_hanging(
                &format!("expect {}", check.expect.text()),
                width,
                "    ",
                "      ",
                t.dim(),
            ));
        }
    }
    out
}

/// How old the answer is and how long it holds, or why it is to be reviewed.
fn standing_lines(state: &State, item: &Item, width: u16) -> Vec<Line<'static>> {
    let t = state.theme;
    let freshness = state.freshness(item);
    let text = match freshness {
        Freshness::Valid { until, .. } if !state.carried(item) => {
            format!("Answered in this run, valid through {until}")
        }
        Freshness::Valid { .. } if state.needs_review(item) => format!(
            "↻ To revisit (--revisit). {}",
            freshness.standing(state.clock.today()).unwrap_or_default()
        ),
        Freshness::Valid { .. } => freshness.standing(state.clock.today()).unwrap_or_default(),
        review => format!(
            "↻ {}",
            review.standing(state.clock.today()).unwrap_or_default()
        ),
    };
    let style = if state.needs_review(item) {
        t.warning()
    } else {
        t.dim()
    };
    wrap(&text, width, "  ", style)
}

fn auto_lines(state: &State, item: &Item, width: u16) -> Vec<Line<'static>> {
    let t = state.theme;
    let text = |s: &str| wrap(s, width, "  ", Style::new());
    match state.item_check(item) {
        ItemCheck::Manual => text("No automatic checks: answer from what you verified by hand."),
        ItemCheck::Checking => {
            let spin = spinner(state);
            let pending = state.pending_sources(item);
            let what = if state.checks.discovering {
                "listing the resource group".to_string()
            } else if pending.is_empty() {
                "evaluating".to_string()
            } else {
                format!(
                    "waiting for {}",
                    pending
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            text(&format!("{spin} checking — {what}"))
        }
        ItemCheck::NotRun => text("Not checked yet — press r to run this item's checks."),
        ItemCheck::Skipped => {
            let why = state
                .checks
                .live
                .get(&item.id)
                .and_then(|r| r.checks.iter().find_map(|c| c.cause.clone()))
                .unwrap_or_else(|| "no source to read".into());
            wrap(&format!("– not checked: {why}"), width, "  ", t.dim())
        }
        ItemCheck::Result(_) => {
            let Some(record) = state.auto_record(item) else {
                return Vec::new();
            };
            let mut out = wrap(
                &format!(
                    "{} · checked {}",
                    record.status.label(),
                    format_time(record.checked_at)
                ),
                width,
                "  ",
                t.auto(record.status),
            );
            for c in record
                .checks
                .iter()
                .filter(|c| c.status != CheckStatus::Skipped)
            {
                let explain = item
                    .checks
                    .iter()
                    .find(|k| k.expect.text() == c.expect)
                    .map_or(c.expect.as_str(), |k| k.explain.as_str());
                let head = match c.status {
                    CheckStatus::Pass => format!("✔ {}", c.source),
                    CheckStatus::Fail => format!("✖ {explain} ({})", c.source),
                    _ => format!(
                        "⚠ {} could not check: {}",
                        c.source,
                        c.cause.as_deref().unwrap_or("unknown cause")
                    ),
                };
                out.extend(wrap_hanging(&head, width, "    ", "      ", Style::new()));
                if !c.resource.is_empty() {
                    out.extend(wrap_hanging(
                        &format!("resource {}", c.resource),
                        width,
                        "      ",
                        "        ",
                        t.dim(),
                    ));
                }
                if c.status != CheckStatus::Error {
                    let mut observed: String = c.observed.chars().take(OBSERVED_MAX).collect();
                    if c.observed.chars().count() > OBSERVED_MAX {
                        observed.push('…');
                    }
                    out.extend(wrap_hanging(
                        &format!("observed {observed}"),
                        width,
                        "      ",
                        "        ",
                        t.dim(),
                    ));
                }
            }
            out
        }
    }
}

// ── Review and sign ─────────────────────────────────────────────────────────────────────

pub fn review_lines(state: &State, width: u16) -> Vec<Line<'static>> {
    let t = state.theme;
    let marks = [
        Mark::Pass,
        Mark::Fail,
        Mark::RiskAccepted,
        Mark::NotApplicable,
        Mark::Open,
    ];
    let index = |m: Mark| Mark::ALL.iter().position(|x| *x == m).unwrap_or(0);
    let verdict = crate::go_live::verdict(&state.checklist, &state.signoff, state.clock.today());
    let tone = if verdict.ready() {
        t.success()
    } else {
        t.error()
    };
    let mut out = wrap(&verdict.line(), width, "", tone);
    out.push(Line::raw(""));
    out.push(Line::styled("Summary", t.title()));
    let mut header = format!("  {:<20}", "Phase");
    for m in marks {
        header.push_str(&format!("  {}", m));
    }
    header.push_str("  total");
    out.push(Line::styled(
        truncate_chars(&header, usize::from(width)),
        t.dim(),
    ));
    let row = |label: &str, counts: [usize; 5], style: Style| {
        let mut text = format!("  {label:<20}");
        for m in marks {
            let w = m.to_string().chars().count();
            text.push_str(&format!("  {:>w$}", counts[index(m)]));
        }
        text.push_str(&format!("  {:>5}", counts.iter().sum::<usize>()));
        Line::styled(truncate_chars(&text, usize::from(width)), style)
    };
    for &phase in Phase::ALL {
        out.push(row(phase.label(), state.counts(Some(phase)), Style::new()));
    }
    out.push(row("All phases", state.counts(None), t.title()));

    out.push(Line::raw(""));
    out.push(Line::styled("Signature", t.title()));
    match &state.signoff.signoff {
        Some(s) => out.extend(wrap(
            &format!(
                "✎ signed by {} ({}), {}",
                s.name,
                s.role,
                format_time(s.signed_at)
            ),
            width,
            "  ",
            t.success(),
        )),
        None => out.extend(wrap(
            "not signed — press s to sign with your name and role",
            width,
            "  ",
            Style::new(),
        )),
    }

    let mut open: Vec<&Item> = state
        .checklist
        .items
        .iter()
        .filter(|i| matches!(state.mark(i), Mark::Open | Mark::Fail))
        .collect();
    open.sort_by_key(|i| crate::signoff::open_action_rank(i.severity, state.mark(i)));
    out.push(Line::raw(""));
    out.push(Line::styled(
        format!("Open actions ({})", open.len()),
        t.title(),
    ));
    if open.is_empty() {
        out.push(Line::raw("  none"));
    }
    for item in open {
        let mark = state.mark(item);
        out.push(Line::from(vec![
            Span::styled(format!("  {:<7}", mark.to_string()), t.mark(mark)),
            Span::raw(truncate_chars(
                &format!(" {} — {}", item.id, item.title),
                usize::from(width).saturating_sub(9),
            )),
        ]));
    }

    // What `verify --fresh` would refuse besides open items: answers that no longer hold.
    let stale: Vec<(&Item, Freshness)> = state
        .checklist
        .items
        .iter()
        .map(|i| (i, state.freshness(i)))
        .filter(|(_, f)| f.needs_review())
        .collect();
    if !stale.is_empty() {
        out.push(Line::raw(""));
        out.push(Line::styled(
            format!("Answers to review ({})", stale.len()),
            t.title(),
        ));
        for (item, freshness) in stale {
            out.extend(wrap_hanging(
                &format!("↻ {} — {}", item.id, freshness.describe()),
                width,
                "  ",
                "    ",
                t.warning(),
            ));
        }
    }

    let mut risks: Vec<(&Item, &crate::signoff::Answer)> = state
        .checklist
        .items
        .iter()
        .filter_map(|i| state.signoff.items.get(&i.id).map(|a| (i, a)))
        .filter(|(_, a)| a.status == crate::signoff::Status::RiskAccepted)
        .collect();
    risks.sort_by(|a, b| a.1.expires.cmp(&b.1.expires).then(a.0.id.cmp(&b.0.id)));
    out.push(Line::raw(""));
    out.push(Line::styled(
        format!("Accepted risks ({})", risks.len()),
        t.title(),
    ));
    if risks.is_empty() {
        out.push(Line::raw("  none"));
    }
    for (item, answer) in risks {
        let expires = answer.expires.map(|d| d.to_string()).unwrap_or_default();
        out.extend(wrap_hanging(
            &format!(
                "≈ {} — expires {expires} — {}",
                item.id,
                answer.justification.as_deref().unwrap_or("")
            ),
            width,
            "  ",
            "    ",
            t.mark(Mark::RiskAccepted),
        ));
    }

    out.push(Line::raw(""));
    out.push(Line::styled("Attestation", t.title()));
    let text = match &state.attestation_written {
        Some(path) => format!("written to {}", path.display()),
        None => format!(
            "not written yet — press w to write it to {}",
            state.config.attestation_path.display()
        ),
    };
    out.extend(wrap(&text, width, "  ", Style::new()));
    out
}

// ── Help ────────────────────────────────────────────────────────────────────────────────

pub fn help_lines(state: &State, width: u16) -> Vec<Line<'static>> {
    let t = state.theme;
    let mut out = Vec::new();
    for (context, rows) in keymap::help_sections() {
        if !out.is_empty() {
            out.push(Line::raw(""));
        }
        out.push(Line::styled(context.title().to_string(), t.title()));
        for (keys, desc) in rows {
            let keys_col = 20;
            let desc_width = usize::from(width).saturating_sub(keys_col + 2).max(10);
            let wrapped = textwrap::wrap(desc, desc_width);
            for (n, part) in wrapped.iter().enumerate() {
                let k = if n == 0 { keys.as_str() } else { "" };
                out.push(Line::from(vec![
                    Span::styled(format!("  {k:<keys_col$}"), t.key()),
                    Span::raw(part.to_string()),
                ]));
            }
        }
    }
    out.push(Line::raw(""));
    out.push(Line::styled("Marks", t.title()));
    out.extend(wrap(
        "✔ pass · ✖ fail · ≈ risk accepted · – n/a · ○ open; automatic results: ✔ pass · ✖ fail · ⚠ error · manual",
        width,
        "  ",
        Style::new(),
    ));
    out.push(Line::raw(""));
    out.push(Line::styled("Files", t.title()));
    let c = &state.config;
    let mut files = vec![
        format!(
            "sign-off: {} (every answer is saved when confirmed)",
            c.signoff_path.display()
        ),
        format!("attestation: {}", c.attestation_path.display()),
    ];
    if let Some(log) = &c.log_path {
        files.push(format!("log: {}", log.display()));
    }
    for f in files {
        out.extend(wrap_hanging(&f, width, "  ", "    ", Style::new()));
    }
    out
}

// ── Text helpers ────────────────────────────────────────────────────────────────────────

/// Wraps each paragraph of `text` to `width`, every line indented.
fn wrap(text: &str, width: u16, indent: &str, style: Style) -> Vec<Line<'static>> {
    wrap_hanging(text, width, indent, indent, style)
}

fn wrap_hanging(
    text: &str,
    width: u16,
    first: &str,
    rest: &str,
    style: Style,
) -> Vec<Line<'static>> {
    let width = usize::from(width).max(first.len().max(rest.len()) + 8);
    let options = textwrap::Options::new(width)
        .initial_indent(first)
        .subsequent_indent(rest);
    text.split('\n')
        .flat_map(|para| {
            if para.trim().is_empty() {
                vec![Line::raw("")]
            } else {
                textwrap::wrap(para.trim_end(), &options)
                    .into_iter()
                    .map(|l| Line::styled(l.into_owned(), style))
                    .collect()
            }
        })
        .collect()
}

fn truncate(text: &str, width: u16) -> String {
    truncate_chars(text, usize::from(width))
}

fn truncate_chars(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else if width == 0 {
        String::new()
    } else {
        let mut s: String = text.chars().take(width - 1).collect();
        s.push('…');
        s
    }
}

fn pad(text: &str, width: usize) -> String {
    let t = truncate_chars(text, width);
    let n = t.chars().count();
    format!("{t}{}", " ".repeat(width.saturating_sub(n)))
}
