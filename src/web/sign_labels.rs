//! The fixed words of the form that signs a step, in English, Simplified and Traditional
//! Chinese; [`super::labels::web_labels`] adds them to the labels every page gets.

/// (key, English, Simplified, Traditional).
pub const SIGN_LABELS: &[(&str, &str, &str, &str)] = &[
    ("sign_step", "Sign", "签署", "簽署"),
    ("done_by", "Done by", "执行部门", "執行部門"),
    ("check_items", "Check items", "检查项", "檢查項"),
    ("waive", "Does not apply", "不适用", "不適用"),
    (
        "waive_reason",
        "Why the items marked “does not apply” do not apply",
        "标为“不适用”的项目的理由",
        "標為「不適用」的項目的理由",
    ),
    ("decision", "Decision", "决定", "決定"),
    (
        "one_or_more",
        "one or more may be chosen",
        "可选择一项或多项",
        "可選擇一項或多項",
    ),
    ("add_row", "Add a row", "添加一行", "新增一列"),
    (
        "attachments",
        "Files as evidence",
        "附件（证据）",
        "附件（證據）",
    ),
    (
        "attachments_hint",
        "Kept with your signature and offered only as downloads; all files together at most",
        "随签署保存，仅供下载；所有文件合计不超过",
        "隨簽署保存，僅供下載；所有檔案合計不超過",
    ),
    (
        "attach_again",
        "Files are not kept by a form shown again; choose them again",
        "重新显示的表单不保留文件，请重新选择",
        "重新顯示的表單不保留檔案，請重新選擇",
    ),
    ("sign_for", "I sign for", "我代表", "我代表"),
    (
        "on_behalf",
        "recorded on behalf of",
        "代为记录，代表",
        "代為記錄，代表",
    ),
    (
        "password_to_sign",
        "Your password, to sign",
        "输入密码以签署",
        "輸入密碼以簽署",
    ),
    (
        "signing_as",
        "Your electronic signature",
        "您的电子签名",
        "您的電子簽章",
    ),
    ("time_zone", "Time zone", "时区", "時區"),
    ("required", "required", "必填", "必填"),
    (
        "not_signed",
        "The step was not signed:",
        "该步骤未签署：",
        "該步驟未簽署：",
    ),
    (
        "see_fields",
        "See the problems marked at the fields below.",
        "请查看下方各栏位标出的问题。",
        "請查看下方各欄位標出的問題。",
    ),
    ("yes", "Yes", "是", "是"),
    (
        "joint_not_last",
        "Each department signs this step. The check items, record and decision are entered with the last signature. Still to sign:",
        "此步骤由各部门分别签署。检查项、记录和决定随最后一个签署填写。尚待签署：",
        "此步驟由各部門分別簽署。檢查項、紀錄和決定隨最後一個簽署填寫。尚待簽署：",
    ),
];
