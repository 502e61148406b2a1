//! The overview page and its JSON for quality users ([`crate::app::overview`]), with the
//! cycle times drawn as a bar chart in inline SVG: the server lays the bars out, the
//! template writes them with every label escaped, and no script is involved.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::{Value, context};
use serde::Serialize;

use super::AppState;
use super::auth::{ApiUser, SignedIn, internal};
use super::pages::signed_page;
use super::refusal::{api_refusal, status_of};
use super::render::{department_name, language_of};
use crate::app::overview::{CycleTime, Overview, overview_as};
use crate::app::{self, Refusal, RefusalKind};
use crate::run::accounts::User;
use crate::run::clock;

/// Width of the chart's drawing (SVG user units, about pixels).
const CHART_WIDTH: f64 = 640.0;
/// Where the bars begin: the room left of it holds the flow's name.
const BARS_LEFT: f64 = 220.0;
/// Room right of the longest bar for its figure.
const FIGURE_ROOM: f64 = 60.0;
/// Height of one flow's row: two bars and the gap below them.
const ROW_HEIGHT: f64 = 34.0;
const BAR_HEIGHT: f64 = 12.0;

/// One flow's bars: the median and the 90th percentile of its cycle time in working days.
#[derive(Debug, Serialize)]
struct Bar {
    label: String,
    /// The label cut to what fits left of the bars.
    short: String,
    /// Top of the row.
    y: f64,
    median_width: f64,
    p90_width: f64,
    median: String,
    p90: String,
}

/// The chart's layout, in SVG user units.
#[derive(Debug, Serialize)]
struct Chart {
    width: f64,
    height: f64,
    left: f64,
    bar_height: f64,
    bars: Vec<Bar>,
}

/// Days as the page shows them: one decimal.
fn days(value: f64) -> String {
    format!("{value:.1}")
}

/// A label cut to what fits left of the bars (counted in display columns, as CJK
/// characters take two), with an ellipsis when cut.
fn shortened(label: &str) -> String {
    const ROOM: usize = 32;
    if crate::columns::width(label) <= ROOM {
        return label.to_string();
    }
    let mut out = String::new();
    for c in label.chars() {
        if crate::columns::width(&out) + crate::columns::width(c.encode_utf8(&mut [0; 4])) >= ROOM {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

/// Lays out one row per flow, bars scaled to the largest 90th percentile.
fn chart(cycle_times: &[CycleTime]) -> Chart {
    let longest = cycle_times
        .iter()
        .map(|c| c.working_days.p90)
        .fold(0.0_f64, f64::max);
    let room = CHART_WIDTH - BARS_LEFT - FIGURE_ROOM;
    let scale = |v: f64| {
        if longest > 0.0 {
            (v / longest * room).max(1.0)
        } else {
            1.0
        }
    };
    let bars = cycle_times
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let label = format!("{} · {}", c.flow.doc, c.flow.title);
            Bar {
                short: shortened(&label),
                label,
                y: 4.0 + i as f64 * ROW_HEIGHT,
                median_width: scale(c.working_days.median),
                p90_width: scale(c.working_days.p90),
                median: days(c.working_days.median),
                p90: days(c.working_days.p90),
            }
        })
        .collect();
    Chart {
        width: CHART_WIDTH,
        height: 8.0 + cycle_times.len() as f64 * ROW_HEIGHT,
        left: BARS_LEFT,
        bar_height: BAR_HEIGHT,
        bars,
    }
}

/// Reads the overview for `user` ([`overview_as`]: quality users only).
async fn read(state: &Arc<AppState>, user: User, lang: String) -> Result<Overview, Refusal> {
    let st = Arc::clone(state);
    state
        .with_reader(move |store| {
            let calendar = app::office_calendar(&st.loaded().qms)?;
            let now = clock::system_now();
            overview_as(Some(store), &st.loaded().qms, &calendar, &user, now, &lang)
        })
        .await
}

/// A department of the overdue table, with its name.
#[derive(Serialize)]
struct DeptRow {
    code: String,
    name: String,
    steps: usize,
    flows: usize,
}

/// `GET /overview`: open runs per flow, overdue steps per department and cycle times with
/// their chart; 403 for staff.
pub async fn page(State(state): State<Arc<AppState>>, signed_in: SignedIn) -> Response {
    let user = signed_in.user;
    let lang = language_of(&state, Some(&user));
    let found = read(&state, user.clone(), lang.clone()).await;
    let (status, name, own) = match found {
        Ok(overview) => {
            let depts: Vec<DeptRow> = overview
                .overdue
                .iter()
                .map(|d| DeptRow {
                    code: d.dept.clone().unwrap_or_else(|| "-".into()),
                    name: d
                        .dept
                        .as_deref()
                        .map_or_else(String::new, |c| department_name(&state, c, &lang)),
                    steps: d.steps,
                    flows: d.flows,
                })
                .collect();
            let cycles: Vec<Value> = overview
                .cycle_times
                .iter()
                .map(|c| {
                    context! {
                        doc => c.flow.doc.clone(),
                        title => c.flow.title.clone(),
                        runs => c.runs,
                        working_median => days(c.working_days.median),
                        working_p90 => days(c.working_days.p90),
                        calendar_median => days(c.calendar_days.median),
                        calendar_p90 => days(c.calendar_days.p90),
                    }
                })
                .collect();
            let own = context! {
                open_runs => Value::from(minijinja::value::Serde(&overview.open_runs)),
                overdue => Value::from(minijinja::value::Serde(&depts)),
                cycles => cycles,
                chart => Value::from(minijinja::value::Serde(chart(&overview.cycle_times))),
            };
            (StatusCode::OK, "overview.html", own)
        }
        Err(refusal)
            if matches!(
                refusal.kind,
                RefusalKind::Storage | RefusalKind::Unavailable
            ) =>
        {
            return internal(&refusal);
        }
        Err(refusal) => {
            let key = match refusal.kind {
                RefusalKind::NotFound => "not_found",
                _ => "forbidden",
            };
            let own = context! { message_key => key, detail => refusal.message, back => "/" };
            (status_of(refusal.kind), "refused.html", own)
        }
    };
    signed_page(&state, &user, status, name, own).await
}

/// `GET /api/overview`: the overview as JSON for the token's quality user; 403 for staff.
pub async fn api(State(state): State<Arc<AppState>>, ApiUser(user): ApiUser) -> Response {
    let lang = language_of(&state, Some(&user));
    match read(&state, user, lang).await {
        Ok(overview) => match serde_json::to_value(&overview) {
            Ok(value) => super::api::json(&value),
            Err(e) => internal(&e),
        },
        Err(refusal) => api_refusal(&refusal),
    }
}
