//! SVG charts drawn on the server for the officer console, with plotters' SVG backend: no
//! script, no external asset, text escaped. The console inlines the returned `<svg>` element.
//!
//! STUB: filled in by the analytics work (see the doc of each function for the contract).

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
pub(crate) fn daily_line_chart(title: &str, days: &[String], series: &[Series]) -> String {
    let _ = (days, series);
    format!("<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"{}\"></svg>", escape(title))
}

/// A horizontal bar chart of named counts (largest first as given). Same contract as
/// [`daily_line_chart`].
pub(crate) fn bar_chart(title: &str, bars: &[(String, f64)]) -> String {
    let _ = bars;
    format!("<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"{}\"></svg>", escape(title))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
