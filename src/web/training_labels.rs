//! The fixed words of read-and-confirm (the tasks on My work, the training page and the
//! notice on a step a user may not sign yet), in English, Simplified and Traditional
//! Chinese; [`super::labels::web_labels`] adds them to the labels every page gets.

/// (key, English, Simplified, Traditional).
pub const TRAINING_LABELS: &[(&str, &str, &str, &str)] = &[
    ("training", "Training", "培训", "培訓"),
    (
        "read_confirm",
        "Read and confirm",
        "阅读并确认",
        "閱讀並確認",
    ),
    (
        "read_confirm_intro",
        "A new revision was released: read it, then confirm.",
        "已发布新版本：请阅读后确认。",
        "已發布新版本：請閱讀後確認。",
    ),
    (
        "i_have_read",
        "I have read and understood",
        "我已阅读并理解",
        "我已閱讀並理解",
    ),
    ("read_pdf", "Read the PDF", "阅读 PDF", "閱讀 PDF"),
    ("people", "people", "人", "人"),
    ("person", "person", "人", "人"),
    ("confirmed_by", "Confirmed by", "已确认", "已確認"),
    ("not_confirmed", "Not yet confirmed", "尚未确认", "尚未確認"),
    ("confirmed_at", "Confirmed", "确认时间", "確認時間"),
    (
        "my_training",
        "My training records",
        "我的培训记录",
        "我的培訓紀錄",
    ),
    (
        "no_training",
        "No released document to confirm.",
        "没有需要确认的已发布文件。",
        "沒有需要確認的已發布文件。",
    ),
    (
        "no_records",
        "No confirmations yet.",
        "尚无确认记录。",
        "尚無確認紀錄。",
    ),
    ("superseded", "superseded", "已被取代", "已被取代"),
    (
        "training_required",
        "Training required: confirm this revision before you sign.",
        "需要培训：签署前请先确认此版本。",
        "需要培訓：簽署前請先確認此版本。",
    ),
];
