//! Aligned columns in terminal tables. A Chinese character takes two columns on a terminal,
//! so widths are display widths, not character counts.

use unicode_width::UnicodeWidthStr;

/// How many terminal columns a text takes.
pub fn width(text: &str) -> usize {
    text.width()
}

/// The text, padded with spaces to `columns` terminal columns.
pub fn pad(text: &str, columns: usize) -> String {
    format!("{text}{}", " ".repeat(columns.saturating_sub(width(text))))
}

#[cfg(test)]
mod tests {
    #[test]
    fn chinese_characters_take_two_columns() {
        assert_eq!(super::width("订单-1"), 6);
        assert_eq!(super::pad("订单", 6), "订单  ");
        assert_eq!(super::pad("SO-1", 6), "SO-1  ");
        assert_eq!(super::pad("too wide", 3), "too wide");
    }
}
