//! SVG charts drawn on the server for the officer console, with plotters' SVG backend: no
//! script, no external asset, text escaped. The console inlines the returned `<svg>` element.
//!
//! Plotters draws the frame, axes, lines, bars and texts (its SVG backend writes texts as
//! `<text>` elements, XML-escaped, and lays them out with its built-in estimate, so no font is
//! needed on the server); the browser picks the fonts, so Cyrillic, Arabic or Chinese names show
//! as they are. The root element is then replaced by a responsive one (`viewBox`, `width="100%"`)
//! carrying `role="img"`, the `aria-label` and a `<title>`. Labels are cleaned (control
//! characters removed) and cut to [`MAX_LABEL_CHARS`] with an ellipsis; values that are not
//! finite count as zero. Drawing never panics: if plotters reports an error, an empty frame with
//! the title is returned instead.

use anchor_aml::thousands;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Width of every chart's coordinate system (the drawing scales to its container).
const WIDTH: u32 = 720;
/// Height of a line chart.
const LINE_HEIGHT: u32 = 300;
/// Longest label drawn, in characters (the ellipsis included).
pub(crate) const MAX_LABEL_CHARS: usize = 28;
/// Longest title drawn inside the chart (the `aria-label` and `<title>` keep more).
const MAX_CAPTION_CHARS: usize = 70;
/// Longest accessible title.
const MAX_TITLE_CHARS: usize = 300;
/// Most bars drawn; the rest are summed into one last bar.
pub(crate) const MAX_BARS: usize = 12;

/// Colour-blind-safe series colours (Okabe–Ito).
const COLOURS: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 0, 0),
];
const TEXT: RGBColor = RGBColor(33, 37, 41);
const GRID: RGBColor = RGBColor(222, 226, 230);
const FONT: &str = "sans-serif";

type DrawResult = Result<(), Box<dyn std::error::Error>>;

/// One line of a daily chart: a label and one value per day of the chart's `days`.
#[derive(Debug, Clone)]
pub(crate) struct Series {
    /// Shown in the legend.
    pub(crate) label: String,
    /// One value per day, in the order of the chart's days.
    pub(crate) values: Vec<f64>,
}

/// A line chart of daily values: `days` are the x labels (`YYYY-MM-DD`), one line per series,
/// with a legend. Returns a complete `<svg>` element with `role="img"` and an `aria-label` of
/// `title`; every text is XML-escaped. Never panics (empty input draws an empty frame).
///
/// A series shorter than `days` stops early; values past the last day are ignored.
pub(crate) fn daily_line_chart(title: &str, days: &[String], series: &[Series]) -> String {
    let mut svg = String::new();
    let drawn = {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, LINE_HEIGHT)).into_drawing_area();
        draw_lines(&root, title, days, series).and_then(|()| Ok(root.present()?))
    };
    finish(title, svg, drawn, LINE_HEIGHT)
}

/// A horizontal bar chart of named counts (largest first as given). Same contract as
/// [`daily_line_chart`].
///
/// At most [`MAX_BARS`] bars are drawn: beyond that, the last bar sums the rest (`N more`). The
/// height grows with the number of bars.
pub(crate) fn bar_chart(title: &str, bars: &[(String, f64)]) -> String {
    let bars = capped_bars(bars);
    let height = bar_chart_height(bars.len());
    let mut svg = String::new();
    let drawn = {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        draw_bars(&root, title, &bars).and_then(|()| Ok(root.present()?))
    };
    finish(title, svg, drawn, height)
}

fn bar_chart_height(bars: usize) -> u32 {
    // `bars` is at most MAX_BARS.
    60 + 28 * (bars.max(1) as u32)
}

/// The bars to draw: cleaned labels, finite non-negative values, the tail summed.
fn capped_bars(bars: &[(String, f64)]) -> Vec<(String, f64)> {
    let cleaned = bars.iter().map(|(label, value)| (label_text(label), finite(*value)));
    if bars.len() <= MAX_BARS {
        return cleaned.collect();
    }
    let mut kept: Vec<(String, f64)> = cleaned.collect();
    let rest: f64 = kept.split_off(MAX_BARS - 1).iter().map(|(_, value)| value).sum();
    kept.push((format!("{} more", bars.len() - (MAX_BARS - 1)), rest));
    kept
}

fn draw_lines(
    root: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    title: &str,
    days: &[String],
    series: &[Series],
) -> DrawResult {
    root.fill(&WHITE)?;
    let count = days.len();
    let top = series
        .iter()
        .flat_map(|series| series.values.iter().take(count))
        .map(|value| finite(*value))
        .fold(0.0, f64::max);
    let (y_max, step) = nice_axis(top);
    // One day sits in the middle of the frame.
    let x_range = if count <= 1 { -0.5..0.5 } else { 0.0..(count - 1) as f64 };
    let legend = if count == 0 { Vec::new() } else { legend_rows(series) };
    let mut chart = ChartBuilder::on(root)
        .caption(truncate(&clean(title), MAX_CAPTION_CHARS), (FONT, 16).into_font().color(&TEXT))
        .margin(12)
        .x_label_area_size(28 + LEGEND_ROW as u32 * legend.len() as u32)
        .y_label_area_size(52)
        .build_cartesian_2d(x_range, 0.0..y_max)?;
    let day_label = |x: &f64| -> String {
        let index = x.round();
        if (x - index).abs() > 1e-6 || index < 0.0 {
            return String::new();
        }
        // `MM-DD` keeps the axis readable; the full dates are the caller's table.
        days.get(index as usize)
            .map(|day| label_text(day.get(5..).filter(|short| !short.is_empty()).unwrap_or(day)))
            .unwrap_or_default()
    };
    let value_label = |y: &f64| axis_number(*y, step);
    chart
        .configure_mesh()
        .disable_x_mesh()
        .max_light_lines(0)
        .bold_line_style(GRID)
        .axis_style(GRID)
        .x_labels(count.clamp(1, 8))
        .y_labels(6)
        .x_label_formatter(&day_label)
        .y_label_formatter(&value_label)
        .label_style((FONT, 12).into_font().color(&TEXT))
        .draw()?;
    if count == 0 || series.is_empty() {
        return no_data(root);
    }
    for (index, line) in series.iter().enumerate() {
        let colour = COLOURS[index % COLOURS.len()];
        let points: Vec<(f64, f64)> = line
            .values
            .iter()
            .take(count)
            .enumerate()
            .map(|(day, value)| (day as f64, finite(*value)))
            .collect();
        chart.draw_series(LineSeries::new(points.clone(), colour.stroke_width(2)))?;
        if count <= 31 {
            chart.draw_series(points.into_iter().map(|point| Circle::new(point, 3, colour.filled())))?;
        }
    }
    // The legend goes under the axis, where it hides no data.
    let (_, height) = root.dim_in_pixel();
    let font = (FONT, 12).into_font().color(&TEXT);
    for (row, entries) in legend.iter().enumerate() {
        let y = height as i32 - 14 - LEGEND_ROW * (legend.len() - 1 - row) as i32;
        for (index, x, label) in entries {
            let colour = COLOURS[index % COLOURS.len()];
            root.draw(
                &(EmptyElement::at((*x, y))
                    + PathElement::new(vec![(0, 0), (16, 0)], colour.stroke_width(3))
                    + Text::new(
                        label.clone(),
                        (22, 0),
                        font.clone().pos(Pos::new(HPos::Left, VPos::Center)),
                    )),
            )?;
        }
    }
    Ok(())
}

/// Height of a legend row.
const LEGEND_ROW: i32 = 18;

/// Most legend rows; series beyond them are drawn without a legend entry.
const MAX_LEGEND_ROWS: usize = 4;

/// The legend's rows: for each entry, the series index, its x and its label.
fn legend_rows(series: &[Series]) -> Vec<Vec<(usize, i32, String)>> {
    let mut rows: Vec<Vec<(usize, i32, String)>> = Vec::new();
    let mut x = 64;
    for (index, line) in series.iter().enumerate() {
        let label = label_text(&line.label);
        let width = 22 + 7 * label.chars().count() as i32 + 24;
        if rows.is_empty() || x + width > WIDTH as i32 - 12 {
            if rows.len() == MAX_LEGEND_ROWS {
                break;
            }
            rows.push(Vec::new());
            x = 64;
        }
        if let Some(row) = rows.last_mut() {
            row.push((index, x, label));
        }
        x += width;
    }
    rows
}

fn draw_bars(
    root: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    title: &str,
    bars: &[(String, f64)],
) -> DrawResult {
    root.fill(&WHITE)?;
    let count = bars.len();
    let top = bars.iter().map(|(_, value)| *value).fold(0.0, f64::max);
    let (x_max, step) = nice_axis(top);
    let longest = bars.iter().map(|(label, _)| label.chars().count()).max().unwrap_or(0);
    // About 7 units per character of a 12-unit font, within reason.
    let label_area = (longest as u32 * 7 + 16).clamp(40, 220);
    // Rows are one unit high, the first bar at the top.
    let rows = count.max(1) as f64;
    let mut chart = ChartBuilder::on(root)
        .caption(truncate(&clean(title), MAX_CAPTION_CHARS), (FONT, 16).into_font().color(&TEXT))
        .margin(12)
        .margin_right(48)
        .x_label_area_size(24)
        .y_label_area_size(label_area)
        .build_cartesian_2d(0.0..x_max, 0.0..rows)?;
    let value_label = |x: &f64| axis_number(*x, step);
    chart
        .configure_mesh()
        .disable_y_mesh()
        .max_light_lines(0)
        .bold_line_style(GRID)
        .axis_style(GRID)
        .y_labels(0)
        .x_labels(6)
        .x_label_formatter(&value_label)
        .label_style((FONT, 12).into_font().color(&TEXT))
        .draw()?;
    if count == 0 {
        return no_data(root);
    }
    let row = |index: usize| rows - 1.0 - index as f64;
    chart.draw_series(bars.iter().enumerate().map(|(index, (_, value))| {
        Rectangle::new([(0.0, row(index) + 0.2), (*value, row(index) + 0.8)], COLOURS[0].filled())
    }))?;
    let font = (FONT, 12).into_font().color(&TEXT);
    chart.draw_series(bars.iter().enumerate().map(|(index, (label, _))| {
        let middle = row(index) + 0.5;
        EmptyElement::at((0.0, middle))
            + Text::new(label.clone(), (-8, 0), font.clone().pos(Pos::new(HPos::Right, VPos::Center)))
    }))?;
    chart.draw_series(bars.iter().enumerate().map(|(index, (_, value))| {
        EmptyElement::at((*value, row(index) + 0.5))
            + Text::new(
                axis_number(*value, 1.0),
                (5, 0),
                font.clone().pos(Pos::new(HPos::Left, VPos::Center)),
            )
    }))?;
    Ok(())
}

/// "No data" in the middle of an empty chart.
fn no_data(root: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>) -> DrawResult {
    let (width, height) = root.dim_in_pixel();
    root.draw(&Text::new(
        "No data",
        ((width / 2) as i32, (height / 2) as i32),
        (FONT, 14).into_font().color(&TEXT).pos(Pos::new(HPos::Center, VPos::Center)),
    ))?;
    Ok(())
}

/// The top of an axis and its step: a round number at least `top` (and at least 1), in five
/// steps of 1, 2 or 5 × 10ⁿ.
fn nice_axis(top: f64) -> (f64, f64) {
    let top = finite(top).max(1.0);
    let raw = top / 5.0;
    let magnitude = 10f64.powi(raw.log10().floor() as i32);
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|factor| factor * magnitude)
        .find(|step| step * 5.0 >= top)
        .unwrap_or(10.0 * magnitude)
        .max(0.2);
    (step * 5.0, step)
}

/// An axis or bar number: thousands separated, decimals only when the step needs them.
fn axis_number(value: f64, step: f64) -> String {
    let value = finite(value);
    if step < 1.0 || value.fract().abs() > 1e-9 {
        return format!("{value:.1}");
    }
    thousands(value.round() as i64)
}

/// A value that can be drawn: not NaN or infinite, not negative.
fn finite(value: f64) -> f64 {
    if value.is_finite() {
        value.max(0.0)
    } else {
        0.0
    }
}

/// Text without characters XML 1.0 cannot carry or that would disturb the layout (control
/// characters, U+FFFE, U+FFFF), whitespace runs collapsed.
fn clean(text: &str) -> String {
    let kept: String = text
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .filter(|c| !c.is_control() && *c != '\u{FFFE}' && *c != '\u{FFFF}')
        .collect();
    kept.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `text` cut to `max` characters, the last being `…` when it was cut.
fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// A label as drawn: cleaned and cut to [`MAX_LABEL_CHARS`].
pub(crate) fn label_text(label: &str) -> String {
    truncate(&clean(label), MAX_LABEL_CHARS)
}

/// XML-escapes text for an attribute or element content.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            other => out.push(other),
        }
    }
    out
}

/// The root element every chart gets: responsive, accessible, titled.
fn svg_open(title: &str, height: u32) -> String {
    let title = escape(&truncate(&clean(title), MAX_TITLE_CHARS));
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height}\" width=\"100%\" \
         preserveAspectRatio=\"xMidYMid meet\" role=\"img\" aria-label=\"{title}\">\n<title>{title}</title>\n"
    )
}

/// Replaces plotters' root element by ours, or returns an empty titled frame if drawing failed.
fn finish(title: &str, svg: String, drawn: DrawResult, height: u32) -> String {
    let body = match drawn {
        Ok(()) if svg.starts_with("<svg") => svg.find('>').map(|end| svg[end + 1..].trim_start().to_string()),
        Ok(()) => None,
        Err(err) => {
            tracing::warn!(error = %err, "a console chart could not be drawn");
            None
        }
    };
    match body.filter(|body| body.trim_end().ends_with("</svg>")) {
        Some(body) => format!("{}{body}", svg_open(title, height)),
        None => format!(
            "{}<rect x=\"0\" y=\"0\" width=\"{WIDTH}\" height=\"{height}\" fill=\"#FFFFFF\" stroke=\"#DEE2E6\"/>\n</svg>\n",
            svg_open(title, height)
        ),
    }
}

#[cfg(test)]
mod tests;
