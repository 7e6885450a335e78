//! The SVG charts: valid SVG with a line per series or a bar per name, escaped titles and labels,
//! non-Latin labels kept as they are, no panic on empty, zero or odd data, long labels cut, many
//! bars summed, and axes that end on round numbers.

#![allow(clippy::unwrap_used, reason = "in tests a panic is the failure report")]

use super::*;

fn days(count: usize) -> Vec<String> {
    (0..count).map(|day| format!("2030-01-{:02}", day % 28 + 1)).collect()
}

/// One `<svg>` element: opened with our root, closed once at the end, no script anywhere.
fn assert_valid_svg(svg: &str, title_escaped: &str) {
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 720 "), "{svg}");
    assert!(svg.trim_end().ends_with("</svg>"), "{svg}");
    assert_eq!(svg.matches("<svg").count(), 1, "one root element: {svg}");
    assert_eq!(svg.matches("</svg>").count(), 1);
    assert!(svg.contains(" width=\"100%\""));
    assert!(svg.contains(" role=\"img\""));
    assert!(svg.contains(&format!(" aria-label=\"{title_escaped}\"")), "{svg}");
    assert!(svg.contains(&format!("<title>{title_escaped}</title>")), "{svg}");
    let lower = svg.to_ascii_lowercase();
    assert!(!lower.contains("<script") && !lower.contains("javascript:"), "{svg}");
    for tag in lower.split('<').skip(1).map(|piece| piece.split('>').next().unwrap_or_default()) {
        assert!(!tag.contains(" on"), "an event handler attribute in <{tag}>");
    }
    assert!(!svg.contains("height=\"300\" viewBox"), "plotters' fixed-size root was replaced");
    // Every `<` opens a tag or closes one: the texts are escaped.
    for piece in svg.split('<').skip(1) {
        let first = piece.chars().next().unwrap();
        assert!(first.is_ascii_alphabetic() || first == '/', "unescaped `<` before {piece:?}");
    }
}

#[test]
fn a_line_chart_draws_a_line_per_series_with_a_legend_and_day_labels() {
    let series = vec![
        Series { label: "Screenings".into(), values: vec![4.0, 0.0, 12.0, 7.0, 1.0, 0.0, 3.0] },
        Series { label: "Hits".into(), values: vec![0.0, 1.0, 0.0, 2.0, 0.0, 0.0, 1.0] },
    ];
    let svg = daily_line_chart("Activity, last 7 days", &days(7), &series);
    assert_valid_svg(&svg, "Activity, last 7 days");
    assert!(svg.contains("<polyline"), "{svg}");
    assert!(svg.contains(">\nScreenings\n</text>") || svg.contains(">Screenings<"), "{svg}");
    assert!(svg.contains("Hits"));
    assert!(svg.contains("01-03"), "x labels are MM-DD: {svg}");
    assert!(svg.contains("<text"), "texts render without a font backend");
}

#[test]
fn a_bar_chart_draws_a_bar_and_a_value_per_name() {
    let bars = vec![("custom:officer_list".to_string(), 12.0), ("ofac-sdn".to_string(), 3.0)];
    let svg = bar_chart("Hits per list", &bars);
    assert_valid_svg(&svg, "Hits per list");
    assert!(svg.contains("custom:officer_list") && svg.contains("ofac-sdn"), "{svg}");
    assert!(svg.matches("<rect").count() >= 3, "background and two bars: {svg}");
    assert!(svg.contains(">\n12\n</text>"), "the value is written by its bar: {svg}");
}

#[test]
fn titles_and_labels_are_escaped() {
    let title = "<script>alert(\"x\")</script> & 'co'";
    let escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &apos;co&apos;";
    let series = vec![Series { label: "<script>alert(1)</script>".into(), values: vec![1.0, 2.0] }];
    let line = daily_line_chart(title, &["<b>2030-01-01".into(), "&amp;".into()], &series);
    assert_valid_svg(&line, escaped);
    assert!(!line.contains("<script>") && !line.contains("<b>"), "{line}");
    let bars = vec![("<img src=x onerror=alert(1)>".to_string(), 1.0), ("Tom & \"Jerry\"".to_string(), 2.0)];
    let chart = bar_chart(title, &bars);
    assert_valid_svg(&chart, escaped);
    assert!(chart.contains("&lt;img src=x onerror=alert(1)&gt;"), "{chart}");
    assert!(chart.contains("Tom &amp; &quot;Jerry&quot;"), "{chart}");
}

#[test]
fn cyrillic_and_arabic_labels_are_kept_as_they_are() {
    let bars = vec![("Россия".to_string(), 3.0), ("الجمهورية العربية السورية".to_string(), 2.0)];
    let svg = bar_chart("Совпадения по странам", &bars);
    assert_valid_svg(&svg, "Совпадения по странам");
    assert!(svg.contains("Россия"), "{svg}");
    assert!(svg.contains("الجمهورية العربية السورية"), "{svg}");
    let series = vec![Series { label: "Проверки".into(), values: vec![1.0] }];
    let svg = daily_line_chart("فحوصات يومية", &days(1), &series);
    assert_valid_svg(&svg, "فحوصات يومية");
    assert!(svg.contains("Проверки"));
}

#[test]
fn empty_zero_single_day_and_odd_values_never_panic() {
    let no_days = daily_line_chart("Nothing yet", &[], &[]);
    assert_valid_svg(&no_days, "Nothing yet");
    assert!(no_days.contains("No data"));
    let no_series = daily_line_chart("No series", &days(30), &[]);
    assert!(no_series.contains("No data"));
    let zeros = vec![Series { label: "Zero".into(), values: vec![0.0; 90] }];
    assert_valid_svg(&daily_line_chart("Zeros", &days(90), &zeros), "Zeros");
    let single = vec![Series { label: "One".into(), values: vec![5.0] }];
    let one_day = daily_line_chart("One day", &days(1), &single);
    assert_valid_svg(&one_day, "One day");
    assert!(one_day.contains("<circle"), "a single day shows as a point: {one_day}");
    let odd = vec![
        Series { label: "Short".into(), values: vec![1.0] },
        Series { label: "Odd".into(), values: vec![f64::NAN, f64::INFINITY, -3.0, 1e15, 0.5] },
    ];
    assert_valid_svg(&daily_line_chart("Odd values", &days(5), &odd), "Odd values");
    let many: Vec<Series> =
        (0..20).map(|n| Series { label: format!("s{n}"), values: vec![n as f64; 366] }).collect();
    assert_valid_svg(&daily_line_chart("A year", &days(366), &many), "A year");
    let crowd: Vec<Series> =
        (0..300).map(|n| Series { label: format!("series {n}"), values: vec![1.0; 3] }).collect();
    let crowded = daily_line_chart("Crowd", &days(3), &crowd);
    assert_valid_svg(&crowded, "Crowd");
    assert!(crowded.contains("series 0") && !crowded.contains("series 299"), "the legend is capped");

    let empty = bar_chart("No hits", &[]);
    assert_valid_svg(&empty, "No hits");
    assert!(empty.contains("No data"));
    assert_valid_svg(&bar_chart("Zero", &[("a".into(), 0.0), ("b".into(), 0.0)]), "Zero");
    assert_valid_svg(&bar_chart("NaN", &[("a".into(), f64::NAN), ("b".into(), -1.0)]), "NaN");
    assert_valid_svg(&bar_chart("", &[("a".into(), 1.0)]), "");
}

#[test]
fn long_labels_are_cut_with_an_ellipsis_and_many_bars_are_summed() {
    let long = "Islamic Revolutionary Guard Corps (IRGC)-Qods Force ".repeat(10);
    let svg = bar_chart("Hits per program", &[(long.clone(), 4.0)]);
    let cut = label_text(&long);
    assert_eq!(cut.chars().count(), MAX_LABEL_CHARS);
    assert!(cut.ends_with('…'));
    assert!(svg.contains(&cut), "{svg}");
    assert!(!svg.contains(&long[..120]), "the label was drawn whole");
    assert_eq!(label_text("a\u{0}b\u{1b}[31m\nc\u{FFFF}"), "ab[31m c");
    assert_eq!(label_text("Москва-Сити, очень длинное название компании"), "Москва-Сити, очень длинное …");

    let bars: Vec<(String, f64)> = (0..40).map(|n| (format!("country {n}"), 40.0 - n as f64)).collect();
    let capped = capped_bars(&bars);
    assert_eq!(capped.len(), MAX_BARS);
    assert_eq!(capped[0], ("country 0".to_string(), 40.0));
    let rest: f64 = bars[MAX_BARS - 1..].iter().map(|(_, value)| value).sum();
    assert_eq!(capped[MAX_BARS - 1], ("29 more".to_string(), rest));
    assert_valid_svg(&bar_chart("Many", &bars), "Many");
    let title = bar_chart(&long, &[]);
    let accessible = truncate(&clean(&long), MAX_TITLE_CHARS);
    assert!(accessible.ends_with('…') && title.contains(&format!("<title>{accessible}</title>")));
}

#[test]
fn axes_end_on_round_numbers() {
    assert_eq!(nice_axis(0.0), (1.0, 0.2));
    assert_eq!(nice_axis(3.0), (5.0, 1.0));
    assert_eq!(nice_axis(12.0), (25.0, 5.0));
    assert_eq!(nice_axis(1_234.0), (2_500.0, 500.0));
    assert_eq!(nice_axis(f64::NAN), (1.0, 0.2));
    assert_eq!(axis_number(12_345.0, 1_000.0), "12,345");
    assert_eq!(axis_number(0.4, 0.2), "0.4");
}
