//! Server-rendered HTML of the BI pages: pure functions from data to a complete document, with
//! charts as inline SVG (no script, no external resource). Every value is escaped by `maud`.

use maud::{DOCTYPE, Markup, PreEscaped, html};
use time::{OffsetDateTime, format_description::BorrowedFormatItem, macros::format_description};

use crate::{CohortSize, Dashboard, ExperimentResults, Funnel, ProjectOverview};

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1100px;\
color:#1d2433;background:#fff}h1{font-size:1.6rem}h2{margin-top:2rem;border-bottom:1px solid #dde}\
section.card{border:1px solid #dde;border-radius:8px;padding:1rem;margin:1rem 0}\
table{border-collapse:collapse}td,th{padding:.25rem .75rem;text-align:right}\
td:first-child,th:first-child{text-align:left}.warn{color:#b00020;font-weight:600}\
.muted{color:#667}svg{display:block;margin:.5rem 0}form{display:inline-block;margin-right:1rem}\
button{padding:.4rem .9rem}textarea{width:100%;font-family:monospace}";

const DATE: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day] [hour]:[minute]");

fn date(t: OffsetDateTime) -> String {
    t.format(DATE).unwrap_or_else(|_| t.to_string())
}

fn document(title: &str, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                style { (PreEscaped(STYLE)) }
            }
            body { (body) }
        }
    }
    .into_string()
}

const CHART_W: f64 = 560.0;
const CHART_H: f64 = 220.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 36.0;

/// Line chart of a cohort's size over time.
fn size_chart(history: &[CohortSize]) -> Markup {
    if history.is_empty() {
        return html! { p.muted { "No snapshot yet." } };
    }
    let first = history[0].taken_at.unix_timestamp() as f64;
    let last = history[history.len() - 1].taken_at.unix_timestamp() as f64;
    let max = history.iter().map(|s| s.size).max().unwrap_or(0).max(1) as f64 * 1.1;
    let plot_w = CHART_W - LEFT - RIGHT;
    let plot_h = CHART_H - TOP - BOTTOM;
    let x = |t: OffsetDateTime| {
        if last > first {
            LEFT + (t.unix_timestamp() as f64 - first) / (last - first) * plot_w
        } else {
            LEFT + plot_w / 2.0
        }
    };
    let y = |size: i64| TOP + plot_h - size as f64 / max * plot_h;
    let points: Vec<String> =
        history.iter().map(|s| format!("{:.1},{:.1}", x(s.taken_at), y(s.size))).collect();
    let base = TOP + plot_h;
    html! {
        svg.chart width=(CHART_W) height=(CHART_H) viewBox={"0 0 " (CHART_W) " " (CHART_H)}
            role="img" aria-label="cohort size over time" {
            line x1=(LEFT) y1=(base) x2=(CHART_W - RIGHT) y2=(base) stroke="#889" {}
            line x1=(LEFT) y1=(TOP) x2=(LEFT) y2=(base) stroke="#889" {}
            @for frac in [0.0, 0.5, 1.0] {
                @let value = (max / 1.1 * frac).round() as i64;
                line x1=(LEFT) y1=(y(value)) x2=(CHART_W - RIGHT) y2=(y(value)) stroke="#eef" {}
                text x=(LEFT - 6.0) y=(y(value) + 4.0) text-anchor="end" font-size="11" { (value) }
            }
            text x=(LEFT) y=(CHART_H - 10.0) font-size="11" { (date(history[0].taken_at)) }
            text x=(CHART_W - RIGHT) y=(CHART_H - 10.0) font-size="11" text-anchor="end" {
                (date(history[history.len() - 1].taken_at))
            }
            polyline points=(points.join(" ")) fill="none" stroke="#2f6fde" stroke-width="2.5" {}
            @for s in history {
                circle cx=(format!("{:.1}", x(s.taken_at))) cy=(format!("{:.1}", y(s.size))) r="4"
                    fill="#2f6fde" {
                    title { (date(s.taken_at)) ": " (s.size) }
                }
            }
        }
    }
}

/// Horizontal bars: `(label, value, caption)`, scaled to the largest value.
fn bar_chart(rows: &[(String, f64, String)], color: &str) -> Markup {
    let max = rows.iter().map(|r| r.1).fold(0.0, f64::max);
    let bar_h = 26.0;
    let label_w = 150.0;
    let plot_w = CHART_W - label_w - 180.0;
    let height = rows.len() as f64 * (bar_h + 10.0) + 10.0;
    html! {
        svg.chart width=(CHART_W) height=(height) viewBox={"0 0 " (CHART_W) " " (height)} role="img" {
            @for (i, (label, value, caption)) in rows.iter().enumerate() {
                @let top = 10.0 + i as f64 * (bar_h + 10.0);
                @let width = if max > 0.0 { value / max * plot_w } else { 0.0 };
                text x=(label_w - 8.0) y=(top + 17.0) text-anchor="end" font-size="13" { (label) }
                rect x=(label_w) y=(top) width=(format!("{width:.1}")) height=(bar_h) rx="3"
                    fill=(color) {}
                text x=(label_w + width + 6.0) y=(top + 17.0) font-size="12" { (caption) }
            }
        }
    }
}

fn percent(part: i64, whole: i64) -> String {
    if whole > 0 { format!("{:.1}%", part as f64 / whole as f64 * 100.0) } else { "–".into() }
}

/// The funnel as three bars with counts and step conversion rates.
fn funnel_chart(f: &Funnel) -> Markup {
    bar_chart(
        &[
            ("Audience".into(), f.audience as f64, f.audience.to_string()),
            (
                "Badge claims".into(),
                f.claimed as f64,
                format!("{} ({} of audience)", f.claimed, percent(f.claimed, f.audience)),
            ),
            (
                "On-chain conversions".into(),
                f.converted as f64,
                format!("{} ({} of claims)", f.converted, percent(f.converted, f.claimed)),
            ),
        ],
        "#1f9d74",
    )
}

fn pp(x: f64) -> String {
    format!("{:+.2} pp", x * 100.0)
}

/// Each treatment's difference to the control with its confidence interval, around a zero line.
fn ci_chart(r: &ExperimentResults) -> Markup {
    let tests: Vec<_> =
        r.arms.iter().filter_map(|a| a.vs_control.map(|t| (a.arm.name.as_str(), t))).collect();
    if tests.is_empty() {
        return html! { p.muted { "No comparison yet: the control and a treatment both need exposures." } };
    }
    let reach =
        tests.iter().map(|(_, t)| t.ci.0.abs().max(t.ci.1.abs())).fold(0.001, f64::max) * 1.15;
    let label_w = 110.0;
    let plot_w = CHART_W - label_w - RIGHT;
    let x = |d: f64| label_w + (d + reach) / (2.0 * reach) * plot_w;
    let row_h = 34.0;
    let height = tests.len() as f64 * row_h + 40.0;
    html! {
        svg.chart width=(CHART_W) height=(height) viewBox={"0 0 " (CHART_W) " " (height)} role="img"
            aria-label="difference to control with confidence interval" {
            line x1=(x(0.0)) y1="4" x2=(x(0.0)) y2=(height - 24.0) stroke="#889"
                stroke-dasharray="4 3" {}
            text x=(x(-reach)) y=(height - 8.0) font-size="11" { (pp(-reach)) }
            text x=(x(0.0)) y=(height - 8.0) font-size="11" text-anchor="middle" { "0" }
            text x=(x(reach)) y=(height - 8.0) font-size="11" text-anchor="end" { (pp(reach)) }
            @for (i, (name, t)) in tests.iter().enumerate() {
                @let cy = 20.0 + i as f64 * row_h;
                @let color = if t.ci.0 > 0.0 { "#1f9d74" } else if t.ci.1 < 0.0 { "#c0392b" } else { "#2f6fde" };
                text x=(label_w - 8.0) y=(cy + 4.0) text-anchor="end" font-size="13" { (name) }
                line x1=(format!("{:.1}", x(t.ci.0))) y1=(cy) x2=(format!("{:.1}", x(t.ci.1))) y2=(cy)
                    stroke=(color) stroke-width="6" stroke-linecap="round" {}
                circle cx=(format!("{:.1}", x(t.difference))) cy=(cy) r="6" fill="#1d2433" {
                    title { (pp(t.difference)) " [" (pp(t.ci.0)) ", " (pp(t.ci.1)) "]" }
                }
            }
        }
    }
}

fn experiment_section(r: &ExperimentResults) -> Markup {
    let e = &r.experiment;
    html! {
        section.card {
            h3 { (e.key) " — goal " code { (r.event) } " " span.muted { "(" (format!("{:?}", e.status).to_lowercase()) ")" } }
            @if r.srm_mismatch {
                p.warn { "Sample ratio mismatch: the observed split does not match the weights \
                          (χ² p = " (format!("{:.2e}", r.srm.map_or(f64::NAN, |s| s.p_value))) "). \
                          Assignment or exposure logging is broken; do not trust these results." }
            }
            table {
                tr { th { "Arm" } th { "Weight" } th { "Units" } th { "Conversions" } th { "Rate" }
                     th { "Δ vs control" } th { (format!("{:.0}% CI", r.level * 100.0)) } th { "Lift" } th { "p" } }
                @for a in &r.arms {
                    tr {
                        td { (a.arm.name) }
                        td { (a.arm.weight) }
                        td { (a.units) }
                        td { (a.conversions) }
                        td { (percent(a.conversions as i64, a.units as i64)) }
                        @if let Some(t) = a.vs_control {
                            td { (pp(t.difference)) }
                            td { "[" (pp(t.ci.0)) ", " (pp(t.ci.1)) "]" }
                            td { (t.relative_lift.map_or("–".to_owned(), |l| format!("{:+.1}%", l * 100.0))) }
                            td { (format!("{:.4}", t.p_value)) @if !t.normal_approximation_ok { " *" } }
                        } @else {
                            td.muted { "control" } td {} td {} td {}
                        }
                    }
                }
            }
            (ci_chart(r))
            @if let Some(srm) = r.srm {
                p.muted { "SRM check: χ² = " (format!("{:.3}", srm.chi_square)) ", df = "
                          (srm.degrees_of_freedom) ", p = " (format!("{:.4}", srm.p_value)) }
            }
        }
    }
}

/// The project's BI page: cohorts with size charts, experiment results with CI bars, campaign
/// funnels, and a logout form carrying the session's CSRF token.
pub fn project_page(overview: &ProjectOverview, csrf_token: &str) -> String {
    let body = html! {
        h1 { "BI — " (overview.project) }
        form method="post" action="/bi/logout" {
            input type="hidden" name="csrf" value=(csrf_token);
            button type="submit" { "Log out" }
        }
        h2 { "Cohorts" }
        @if overview.cohorts.is_empty() { p.muted { "No saved cohort." } }
        @for (cohort, history) in &overview.cohorts {
            section.card {
                h3 { (cohort.name) " " span.muted { "(PMS ≥ " (cohort.min_pms) ")" } }
                @if let Some(filter) = &cohort.definition.filter { p { "Filter: " code { (filter) } } }
                p { "Current size: " strong { (history.last().map_or(0, |s| s.size)) } }
                (size_chart(history))
            }
        }
        h2 { "Experiments" }
        @if overview.experiments.is_empty() { p.muted { "No experiment." } }
        @for r in &overview.experiments { (experiment_section(r)) }
        h2 { "Campaigns" }
        @if overview.campaigns.is_empty() { p.muted { "No campaign." } }
        @for (campaign, funnel) in &overview.campaigns {
            section.card {
                h3 { (campaign.name) }
                p.muted { (date(campaign.starts_at)) " → " (date(campaign.ends_at)) "; badge classes "
                          (campaign.badge_class_ids.join(", ")) }
                @if !funnel.audience_frozen { p.muted { "The audience is frozen when the campaign starts." } }
                (funnel_chart(funnel))
            }
        }
    };
    document(&format!("BI — {}", overview.project), body)
}

/// The form where a project enters its API key (POSTed, never in a URL).
pub fn project_login_page(error: Option<&str>) -> String {
    document(
        "BI login",
        html! {
            h1 { "Project BI" }
            @if let Some(e) = error { p.warn { (e) } }
            form method="post" action="/bi/login" {
                label { "API key " input type="password" name="key" autocomplete="off" required; }
                " " button type="submit" { "Open" }
            }
        },
    )
}

/// The DID login page. Without `message` it asks for the wallet address (or lets an injected
/// EIP-1193 wallet supply it); with `message` — the EIP-4361 text the server built for that
/// address, bound to its passport — it shows the text to sign and a field for the signature.
/// The inline script (no external resource) fetches `/me/challenge?address=…`, has the wallet
/// sign with `personal_sign`, and submits the same form.
pub fn user_login_page(message: Option<&str>, error: Option<&str>) -> String {
    const SCRIPT: &str = r#"async function trexSign(){const p=window.ethereum;
if(!p){alert('No browser wallet found: enter your address instead.');return}
const [a]=await p.request({method:'eth_requestAccounts'});
const r=await fetch('/me/challenge?address='+encodeURIComponent(a));
if(!r.ok){alert(await r.text());return}
const m=await r.text();const f=document.getElementById('login');f.message.value=m;
f.signature.value=await p.request({method:'personal_sign',params:[m,a]});f.submit()}"#;
    document(
        "Sign in with your passport",
        html! {
            h1 { "Your persona" }
            p { "Sign in with the owner wallet or a linked wallet of your T-Rex passport." }
            @if let Some(e) = error { p.warn { (e) } }
            @match message {
                Some(m) => {
                    p { "Sign this message with your wallet and paste the signature:" }
                    form #login method="post" action="/me/login" {
                        textarea name="message" rows="13" readonly { (m) }
                        p { label { "Signature (0x…) " input type="text" name="signature" size="70" required; } }
                        button type="submit" { "Sign in" }
                    }
                }
                None => {
                    form method="get" action="/me/login" {
                        label { "Wallet address " input type="text" name="address" size="46" required; }
                        " " button type="submit" { "Get the message to sign" }
                    }
                    p { button type="button" onclick="trexSign()" { "Sign in with a browser wallet" } }
                    form #login method="post" action="/me/login" {
                        input type="hidden" name="message";
                        input type="hidden" name="signature";
                    }
                    script { (PreEscaped(SCRIPT)) }
                }
            }
        },
    )
}

/// The user's own dashboard, with CSRF-protected export and delete forms.
pub fn user_dashboard_page(
    d: &Dashboard,
    did: &str,
    csrf_token: &str,
    notice: Option<&str>,
) -> String {
    let points: Vec<(String, f64, String)> =
        d.points.iter().map(|(c, p)| (c.clone(), *p as f64, p.to_string())).collect();
    document(
        "Your persona",
        html! {
            h1 { "Your persona" }
            p.muted { (did) }
            @if let Some(n) = notice { p { strong { (n) } } }
            h2 { "Badges" }
            @if d.badges.is_empty() { p.muted { "No badge yet." } }
            ul { @for b in &d.badges { li { "Class " (b) } } }
            h2 { "Points by category" }
            @if points.is_empty() { p.muted { "No points yet." } } @else { (bar_chart(&points, "#7a4fd6")) }
            h2 { "Persona" }
            table {
                @for (label, value) in &d.features {
                    tr { td { (label) } td { (value.map_or("–".to_owned(), |v| v.to_string())) } }
                }
                @for (category, score) in &d.interests {
                    tr { td { "Interest: " (category) } td { (format!("{:.0}%", score * 100.0)) } }
                }
            }
            h2 { "Cohorts you match" }
            @if d.cohorts.is_empty() { p.muted { "None at the latest snapshots." } }
            ul { @for (project, name) in &d.cohorts { li { (project) ": " (name) } } }
            h2 { "Your off-chain data" }
            p { "Validator facts and BI records about you are off-chain. You can download them, or \
                 delete them; on-chain badges and points stay on chain." }
            form method="post" action="/me/export" {
                input type="hidden" name="csrf" value=(csrf_token);
                button type="submit" { "Export my off-chain data (JSON)" }
            }
            form method="post" action="/me/delete" {
                input type="hidden" name="csrf" value=(csrf_token);
                label { input type="checkbox" name="confirm" value="yes" required; " I understand this cannot be undone" }
                " " button type="submit" { "Delete my off-chain data" }
            }
            form method="post" action="/me/logout" {
                input type="hidden" name="csrf" value=(csrf_token);
                button type="submit" { "Log out" }
            }
        },
    )
}

/// A short page with a heading and a message (errors, confirmations).
pub fn message_page(title: &str, message: &str) -> String {
    document(title, html! { h1 { (title) } p { (message) } })
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn values_are_escaped() {
        let page = message_page("<x>", "a & \"b\" <script>");
        assert!(page.contains("&lt;x&gt;") && page.contains("&lt;script&gt;"), "{page}");
        assert!(!page.contains("<script>"));
    }

    #[test]
    fn size_chart_scales_points() {
        let history = [
            CohortSize { taken_at: datetime!(2026-01-01 00:00 UTC), size: 0 },
            CohortSize { taken_at: datetime!(2026-01-02 00:00 UTC), size: 100 },
        ];
        let svg = size_chart(&history).into_string();
        // First point at the left edge on the baseline, second at the right edge, 100/110 high.
        let base = TOP + CHART_H - TOP - BOTTOM;
        let top = base - 100.0 / 110.0 * (CHART_H - TOP - BOTTOM);
        let expected = format!("{LEFT:.1},{base:.1} {:.1},{top:.1}", CHART_W - RIGHT);
        assert!(svg.contains(&expected), "{expected} not in {svg}");
        assert!(size_chart(&[]).into_string().contains("No snapshot"));
    }

    #[test]
    fn funnel_bars_are_proportional() {
        let f = Funnel { audience: 200, claimed: 50, converted: 10, audience_frozen: true };
        let svg = funnel_chart(&f).into_string();
        assert!(
            svg.contains("50 (25.0% of audience)") && svg.contains("10 (20.0% of claims)"),
            "{svg}"
        );
        let empty = Funnel { audience: 0, claimed: 0, converted: 0, audience_frozen: false };
        assert!(funnel_chart(&empty).into_string().contains("width=\"0.0\""));
    }
}
