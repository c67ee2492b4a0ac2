//! The popups and forms: answer, target, sign, search and pick lists, each drawn over the
//! screen below it, with the hardware cursor in the focused field.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::{pad, plural, truncate, wrap};
use crate::tui::state::{
    AnswerField, AnswerForm, Picker, Screen, SignForm, State, TARGET_FIELDS, TargetForm,
};

/// A centred popup of `height` rows inside `area`, cleared, with a bordered block.
fn popup(frame: &mut Frame, area: Rect, width: u16, height: u16, title: String) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [rect] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    // Clear a column either side too, so the screen below does not touch the border.
    let gutter = Rect {
        x: rect.x.saturating_sub(1).max(area.x),
        width: (rect.width + 2).min(area.width),
        ..rect
    };
    frame.render_widget(Clear, gutter);
    let block = Block::bordered().title(title);
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    inner
}

const LABEL: u16 = 16;

/// One labelled row: a text field (underlined, scrolled to its cursor) or a value.
/// Returns where the cursor goes when the row is focused.
struct FieldRow<'a> {
    label: &'a str,
    focused: bool,
    /// A text field, or `None` to show `value`.
    field: Option<&'a crate::tui::field::TextField>,
    value: Line<'static>,
    placeholder: &'a str,
}

fn field_row(state: &State, frame: &mut Frame, area: Rect, row: FieldRow) -> Position {
    let FieldRow {
        label,
        focused,
        field,
        value,
        placeholder,
    } = row;
    let t = state.theme;
    let [l, v] =
        Layout::horizontal([Constraint::Length(LABEL + 2), Constraint::Fill(1)]).areas(area);
    let marker = if focused { "▸ " } else { "  " };
    let style = if focused { t.focus() } else { Style::new() };
    frame.render_widget(
        Paragraph::new(Span::styled(format!("{marker}{label}"), style)),
        l,
    );
    match field {
        Some(f) => {
            // Unfocused fields show their start; the focused one scrolls to its cursor.
            let shown = if focused {
                f.clone()
            } else {
                let mut start = f.clone();
                start.home();
                start
            };
            let (text, column) = shown.view(v.width.saturating_sub(1));
            let line = if text.is_empty() && !placeholder.is_empty() {
                Line::from(vec![Span::styled(
                    pad(&format!("({placeholder})"), usize::from(v.width)),
                    t.dim().patch(t.field()),
                )])
            } else {
                Line::from(Span::styled(pad(&text, usize::from(v.width)), t.field()))
            };
            frame.render_widget(Paragraph::new(line), v);
            Position::new(v.x + column.min(v.width.saturating_sub(1)), v.y)
        }
        None => {
            frame.render_widget(Paragraph::new(value), v);
            Position::new(v.x, v.y)
        }
    }
}

pub(super) fn answer_form(
    state: &State,
    form: &AnswerForm,
    frame: &mut Frame,
    area: Rect,
) -> Position {
    let t = state.theme;
    let item = state.checklist.item(&form.item);
    let fields = form.fields();
    let width = area.width.saturating_sub(4).min(96);
    let inner_width = width.saturating_sub(2);
    let error = form
        .error
        .as_deref()
        .map(|e| wrap(&format!("✖ {e}"), inner_width, "", t.error()))
        .unwrap_or_default();
    let error_rows = u16::try_from(error.len().min(3)).unwrap_or(3);
    let fields_rows = u16::try_from(fields.len()).unwrap_or(6);
    // title, auto line, gap, fields, gap, error, hint
    let height = 2 + 1 + 1 + 1 + fields_rows + 1 + error_rows + 1;
    let inner = popup(
        frame,
        area,
        width,
        height,
        format!(" Answer · {} ", form.item),
    );
    let mut constraints = vec![
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ];
    constraints.extend(std::iter::repeat_n(Constraint::Length(1), fields.len()));
    constraints.extend([
        Constraint::Length(1),
        Constraint::Length(error_rows),
        Constraint::Length(1),
    ]);
    let rows = Layout::vertical(constraints).split(inner);
    frame.render_widget(
        Paragraph::new(Line::styled(
            truncate(item.map_or("", |i| i.title.as_str()), inner.width),
            t.title(),
        )),
        rows[0],
    );
    let auto = match form.auto {
        Some(a) => Line::from(vec![
            Span::raw("Automatic result: "),
            Span::styled(a.label(), t.auto(a)),
        ]),
        None => Line::styled("No automatic result.", t.dim()),
    };
    frame.render_widget(Paragraph::new(auto), rows[1]);
    let max = state.checklist.max_risk_acceptance_days;
    let expires_hint = format!("YYYY-MM-DD, at most {max} days away");
    let mut cursor = Position::new(inner.x, inner.y);
    for (n, field) in fields.iter().enumerate() {
        let focused = *field == form.focus;
        let status_line = Line::from(vec![
            Span::raw("‹ "),
            Span::styled(form.status.mark().to_string(), t.mark(form.status.mark())),
            Span::raw(" ›"),
            Span::styled("   ←/→ or p f n a", t.dim()),
        ]);
        let placeholder = match field {
            AnswerField::Note => "optional: what you observed or decided",
            AnswerField::Evidence => "optional: links or paths, separated by commas",
            AnswerField::Override => "required: why the answer differs from the automatic result",
            AnswerField::Justification => "required: why the risk is acceptable, and who owns it",
            AnswerField::Expires => expires_hint.as_str(),
            AnswerField::Status => "",
        };
        let at = field_row(
            state,
            frame,
            rows[3 + n],
            FieldRow {
                label: field.label(),
                focused,
                field: form.text(*field),
                value: status_line,
                placeholder,
            },
        );
        if focused {
            cursor = if *field == AnswerField::Status {
                Position::new(at.x + 2, at.y)
            } else {
                at
            };
        }
    }
    frame.render_widget(Paragraph::new(error), rows[4 + fields.len()]);
    frame.render_widget(
        Paragraph::new(Line::styled(
            "Enter save · Tab next field · Esc cancel · F1 help",
            t.dim(),
        )),
        rows[5 + fields.len()],
    );
    cursor
}

pub(super) fn sign_form(state: &State, form: &SignForm, frame: &mut Frame, area: Rect) -> Position {
    let t = state.theme;
    let width = area.width.saturating_sub(4).min(80);
    let inner_width = width.saturating_sub(2);
    let open = state.counts(None)[4];
    let note = if open > 0 {
        format!(
            "{open} item{} still open; the attestation lists {} under open actions.",
            plural(open),
            if open == 1 { "it" } else { "them" }
        )
    } else {
        "Every item is answered.".to_string()
    };
    let note = wrap(&note, inner_width, "", Style::new());
    let error = form
        .error
        .as_deref()
        .map(|e| wrap(&format!("✖ {e}"), inner_width, "", t.error()))
        .unwrap_or_default();
    let note_rows = u16::try_from(note.len().min(3)).unwrap_or(3);
    let error_rows = u16::try_from(error.len().min(3)).unwrap_or(3);
    let height = 2 + note_rows + 1 + 2 + 1 + error_rows + 1;
    let inner = popup(frame, area, width, height, " Sign ".to_string());
    let rows = Layout::vertical([
        Constraint::Length(note_rows),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(error_rows),
        Constraint::Length(1),
    ])
    .split(inner);
    frame.render_widget(Paragraph::new(note), rows[0]);
    let name = field_row(
        state,
        frame,
        rows[2],
        FieldRow {
            label: "Your name",
            focused: form.focus == 0,
            field: Some(&form.name),
            value: Line::raw(""),
            placeholder: "",
        },
    );
    let role = field_row(
        state,
        frame,
        rows[3],
        FieldRow {
            label: "Your role",
            focused: form.focus == 1,
            field: Some(&form.role),
            value: Line::raw(""),
            placeholder: "e.g. platform owner, security lead",
        },
    );
    frame.render_widget(Paragraph::new(error), rows[5]);
    frame.render_widget(
        Paragraph::new(Line::styled(
            "Enter sign · Tab next field · Esc cancel",
            t.dim(),
        )),
        rows[6],
    );
    if form.focus == 0 { name } else { role }
}

pub(super) fn target(state: &State, form: &TargetForm, frame: &mut Frame, area: Rect) -> Position {
    let t = state.theme;
    let block = Block::bordered().title(" Deployment target ");
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let discovered: Vec<String> = TARGET_FIELDS
        .iter()
        .filter_map(|(f, label, _)| {
            state
                .discovered
                .get(f)
                .filter(|v| !v.is_empty())
                .map(|v| format!("{} {}", label.to_lowercase(), v.join(", ")))
        })
        .collect();
    let discovered = if discovered.is_empty() {
        if state.config.offline {
            "Nothing discovered: Azure is not read in this run (--offline).".to_string()
        } else {
            "Nothing discovered yet: the automatic checks list the resource group when signed in to Azure.".to_string()
        }
    } else {
        format!(
            "Found in Azure: {}. F2 on a field picks a found value.",
            discovered.join(" · ")
        )
    };
    let mut info = wrap(&discovered, inner.width, " ", t.dim());
    if let Some(e) = &form.error {
        info.extend(wrap(&format!("✖ {e}"), inner.width, " ", t.error()));
    }
    info.push(Line::styled(
        " Enter save · Tab next field · F2 pick a found value · Esc cancel",
        t.dim(),
    ));
    let mut constraints = vec![Constraint::Length(1)];
    constraints.extend(std::iter::repeat_n(
        Constraint::Length(1),
        TARGET_FIELDS.len(),
    ));
    constraints.extend([Constraint::Length(1), Constraint::Fill(1)]);
    let rows = Layout::vertical(constraints).split(inner);
    let mut cursor = Position::new(inner.x, inner.y);
    for (n, ((_, label, placeholder), field)) in TARGET_FIELDS.iter().zip(&form.fields).enumerate()
    {
        let at = field_row(
            state,
            frame,
            rows[1 + n],
            FieldRow {
                label,
                focused: form.focus == n,
                field: Some(field),
                value: Line::raw(""),
                placeholder,
            },
        );
        if form.focus == n {
            cursor = at;
        }
    }
    frame.render_widget(Paragraph::new(info), rows[2 + TARGET_FIELDS.len()]);
    cursor
}

/// The search field, low over the items list so the list it filters stays in view.
pub(super) fn search(
    state: &State,
    query: &crate::tui::field::TextField,
    frame: &mut Frame,
    area: Rect,
) -> Position {
    let t = state.theme;
    let width = area.width.saturating_sub(4).min(72);
    let matching = match state.screens.iter().rev().find_map(|s| match s {
        Screen::Items(view) => Some(view),
        _ => None,
    }) {
        Some(view) => {
            let shown = state.visible(view).len();
            let all = state.checklist.items_in(view.phase).count();
            format!("{shown} of {all} items match · Enter keep · Esc cancel")
        }
        None => "Enter keep · Esc cancel".to_string(),
    };
    // Above the list's bottom border, which stays whole.
    let [_, low, _] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(4.min(area.height)),
        Constraint::Length(1),
    ])
    .areas(area);
    let inner = popup(frame, low, width, 4, " Search items ".to_string());
    let [field, hint] =
        Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(inner);
    frame.render_widget(Paragraph::new(Line::styled(matching, t.dim())), hint);
    field_row(
        state,
        frame,
        field,
        FieldRow {
            label: "Text",
            focused: true,
            field: Some(query),
            value: Line::raw(""),
            placeholder: "in the id, title, category or guidance",
        },
    )
}

pub(super) fn pick(state: &State, picker: &Picker, frame: &mut Frame, area: Rect) -> Position {
    let t = state.theme;
    let widest = picker
        .options
        .iter()
        .map(|o| o.chars().count())
        .chain(std::iter::once(picker.title.chars().count() + 2))
        .max()
        .unwrap_or(10);
    let width = u16::try_from(widest + 6).unwrap_or(u16::MAX).max(24);
    let height = u16::try_from(picker.options.len() + 2).unwrap_or(u16::MAX);
    let inner = popup(frame, area, width, height, format!(" {} ", picker.title));
    let visible = usize::from(inner.height).max(1);
    let offset = picker.selected.saturating_sub(visible - 1);
    let lines: Vec<Line> = picker
        .options
        .iter()
        .enumerate()
        .skip(offset)
        .take(visible)
        .map(|(n, o)| {
            if n == picker.selected {
                Line::styled(
                    pad(&format!("▸ {o}"), usize::from(inner.width)),
                    t.selected(),
                )
            } else {
                Line::raw(format!("  {o}"))
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
    let row = u16::try_from(picker.selected - offset).unwrap_or(0);
    Position::new(inner.x, inner.y + row)
}
