//! The fixed words of the overview page in English, Simplified and Traditional Chinese;
//! [`super::labels::web_labels`] adds them to the labels every page gets.

/// (key, English, Simplified, Traditional).
pub const OVERVIEW_LABELS: &[(&str, &str, &str, &str)] = &[
    ("overview", "Overview", "总览", "總覽"),
    (
        "open_runs",
        "Open runs per flow",
        "各流程进行中的实例",
        "各流程進行中的實例",
    ),
    ("open_count", "Open", "进行中", "進行中"),
    (
        "overdue_per_dept",
        "Overdue per department",
        "各部门逾期",
        "各部門逾期",
    ),
    ("overdue_steps", "Overdue steps", "逾期步骤", "逾期步驟"),
    (
        "overdue_flows",
        "Runs past the flow's deadline",
        "超过流程期限的实例",
        "超過流程期限的實例",
    ),
    (
        "cycle_time",
        "Cycle time per flow",
        "各流程周期",
        "各流程週期",
    ),
    (
        "cycle_time_hint",
        "From the start to the end of each ended run: median and 90th percentile, in working days of the company calendar and in calendar days.",
        "每个已结束实例从启动到结束的时间：中位数与第90百分位数，分别以公司日历的工作日和自然日计。",
        "每個已結束實例從啟動到結束的時間：中位數與第90百分位數，分別以公司行事曆的工作日和日曆日計。",
    ),
    ("ended_runs", "Ended runs", "已结束实例", "已結束實例"),
    ("median", "Median", "中位数", "中位數"),
    ("p90", "90th percentile", "第90百分位数", "第90百分位數"),
    ("working_days", "working days", "工作日", "工作日"),
    ("calendar_days", "calendar days", "自然日", "日曆日"),
    (
        "chart_caption",
        "Cycle time in working days: median (dark) and 90th percentile (light)",
        "周期（工作日）：中位数（深色）与第90百分位数（浅色）",
        "週期（工作日）：中位數（深色）與第90百分位數（淺色）",
    ),
    (
        "no_open_runs",
        "No run is open.",
        "没有进行中的实例。",
        "沒有進行中的實例。",
    ),
    (
        "nothing_overdue",
        "Nothing is overdue.",
        "没有逾期事项。",
        "沒有逾期事項。",
    ),
    (
        "no_ended_runs",
        "No run has ended yet.",
        "尚无已结束的实例。",
        "尚無已結束的實例。",
    ),
];
