//! Ids and references a reader can trust: nothing invisible, nothing that only looks like
//! another character.
//!
//! An id names a controlled document, a file and a place in a run's evidence. Two ids that
//! print alike but differ in their characters (a zero-width space, a right-to-left override,
//! a Cyrillic `Р` among Latin letters) would let one thing pass for another, so such ids are
//! refused wherever they are written (Unicode TR 36 / TR 39: invisible characters, mixed-script
//! confusables).

use std::fmt;

/// Why a name cannot be an id or a run reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookalike {
    /// A character that prints as nothing or only as space: zero-width and format
    /// characters, non-ASCII spaces, variation selectors, tag characters.
    Invisible(char),
    /// A character that changes the direction in which the text around it is shown.
    Bidi(char),
    /// Letters of two alphabets whose letters look alike (Latin with Cyrillic or Greek, ...).
    MixedScripts {
        first: (char, &'static str),
        second: (char, &'static str),
    },
    /// A fullwidth or mathematical form of an ordinary letter or digit.
    Variant(char),
}

impl fmt::Display for Lookalike {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Lookalike::Invisible(c) => write!(f, "an invisible character ({})", code(*c)),
            Lookalike::Bidi(c) => write!(
                f,
                "a character that reverses the direction of the text ({})",
                code(*c)
            ),
            Lookalike::MixedScripts { first, second } => write!(
                f,
                "letters of two alphabets: `{}` is {} ({}) but `{}` is {} ({})",
                first.0,
                first.1,
                code(first.0),
                second.0,
                second.1,
                code(second.0)
            ),
            Lookalike::Variant(c) => write!(
                f,
                "`{c}` ({}), a look-alike of an ordinary letter, digit or sign",
                code(*c)
            ),
        }
    }
}

impl Lookalike {
    /// What to do about it, for a hint.
    pub fn hint(&self) -> String {
        match self {
            Lookalike::Invisible(_) | Lookalike::Bidi(_) => {
                "retype the id: it holds a character you cannot see (often pasted from a web page or chat)".to_string()
            }
            Lookalike::MixedScripts { second, .. } => format!(
                "retype the id in one alphabet: `{}` only looks like a letter of the others",
                second.0
            ),
            Lookalike::Variant(c) => {
                let plain = plain_of(*c)
                    .map(|p| format!(" (`{p}`)"))
                    .unwrap_or_default();
                format!("write the ordinary character{plain}, e.g. with the input method in half-width mode")
            }
        }
    }
}

fn code(c: char) -> String {
    format!("U+{:04X}", c as u32)
}

/// The ordinary ASCII character a fullwidth form stands for.
fn plain_of(c: char) -> Option<char> {
    let n = c as u32;
    if (0xFF01..=0xFF5E).contains(&n) {
        char::from_u32(n - 0xFF01 + 0x21)
    } else if n == 0x3000 {
        Some(' ')
    } else {
        None
    }
}

/// The first reason `name` cannot serve as an id, if any.
pub fn lookalike(name: &str) -> Option<Lookalike> {
    // Only non-ASCII text can hold any of these; most ids are ASCII.
    if name.is_ascii() {
        return None;
    }
    let mut first_script: Option<(char, &'static str)> = None;
    for c in name.chars() {
        if is_bidi(c) {
            return Some(Lookalike::Bidi(c));
        }
        if is_invisible(c) {
            return Some(Lookalike::Invisible(c));
        }
        if is_variant(c) {
            return Some(Lookalike::Variant(c));
        }
        if let Some(script) = confusable_script(c) {
            match first_script {
                None => first_script = Some((c, script)),
                Some(first) if first.1 != script => {
                    return Some(Lookalike::MixedScripts {
                        first,
                        second: (c, script),
                    });
                }
                Some(_) => {}
            }
        }
    }
    None
}

/// Controls of the Unicode bidirectional algorithm (embeddings, overrides, isolates, marks).
fn is_bidi(c: char) -> bool {
    matches!(c as u32, 0x061C | 0x200E | 0x200F | 0x202A..=0x202E | 0x2066..=0x2069)
}

/// Characters that show nothing or only space (format characters of category Cf, fillers,
/// variation selectors, tags, and every space but the ASCII one).
fn is_invisible(c: char) -> bool {
    c.is_control()
        || (c.is_whitespace() && c != ' ')
        || matches!(
            c as u32,
            0x00AD
                | 0x034F
                | 0x115F
                | 0x1160
                | 0x17B4
                | 0x17B5
                | 0x180B..=0x180F
                | 0x200B..=0x200D
                | 0x2060..=0x2065
                | 0x206A..=0x206F
                | 0x2800
                | 0x3164
                | 0xFE00..=0xFE0F
                | 0xFEFF
                | 0xFFA0
                | 0xFFF9..=0xFFFB
                | 0x1D173..=0x1D17A
                | 0xE0000..=0xE0FFF
        )
}

/// Fullwidth forms of ASCII and mathematical letters and digits: each looks like an
/// ordinary character it is not.
fn is_variant(c: char) -> bool {
    matches!(
        c as u32,
        0xFF01..=0xFF5E
            | 0x1D400..=0x1D7FF
            // Letter-like symbols that are letters in disguise (Kelvin `K`, Angstrom `Å`, `ℓ`).
            | 0x2102
            | 0x210A..=0x2113
            | 0x2115
            | 0x2119..=0x211D
            | 0x2124
            | 0x2128
            | 0x212A..=0x212D
            | 0x212F..=0x2131
            | 0x2133..=0x2134
            | 0x2139
    )
}

/// The alphabet of a letter, for the alphabets whose letters are confused with each other.
/// Han, Kana, Hangul, Arabic and others are not listed: mixing them with Latin letters
/// (`客服-CS`) is ordinary and misleads no one.
fn confusable_script(c: char) -> Option<&'static str> {
    if !c.is_alphabetic() {
        return None;
    }
    Some(match c as u32 {
        0x0041..=0x005A
        | 0x0061..=0x007A
        | 0x00C0..=0x024F
        | 0x1E00..=0x1EFF
        | 0x2C60..=0x2C7F
        | 0xA720..=0xA7FF => "Latin",
        0x0370..=0x03FF | 0x1F00..=0x1FFF => "Greek",
        0x0400..=0x052F | 0x1C80..=0x1C8F | 0x2DE0..=0x2DFF | 0xA640..=0xA69F => "Cyrillic",
        0x0531..=0x058F => "Armenian",
        0x13A0..=0x13FF | 0xAB70..=0xABBF => "Cherokee",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_ids_pass() {
        for id in [
            "QP-001",
            "SO/7",
            "客服-CS-01",
            "Ångström-1",
            "Произв-01",
            "Δ-3",
            "QP 001",
        ] {
            assert_eq!(lookalike(id), None, "{id}");
        }
    }

    #[test]
    fn invisible_and_direction_characters_are_found() {
        assert_eq!(
            lookalike("QP-\u{200B}001"),
            Some(Lookalike::Invisible('\u{200B}'))
        );
        assert_eq!(
            lookalike("QP-001\u{202E}"),
            Some(Lookalike::Bidi('\u{202E}'))
        );
        assert_eq!(
            lookalike("QP\u{00A0}001"),
            Some(Lookalike::Invisible('\u{00A0}'))
        );
        assert_eq!(
            lookalike("QP-001\u{FE0F}"),
            Some(Lookalike::Invisible('\u{FE0F}'))
        );
    }

    #[test]
    fn mixed_alphabets_are_found() {
        // `Р` is Cyrillic Er, `Ο` Greek Omicron.
        let found = lookalike("Q\u{0420}-001").unwrap();
        assert!(matches!(
            found,
            Lookalike::MixedScripts {
                second: ('\u{0420}', "Cyrillic"),
                ..
            }
        ));
        assert!(found.to_string().contains("U+0420"), "{found}");
        assert!(lookalike("SH\u{039F}P").is_some());
    }

    #[test]
    fn fullwidth_forms_are_found_with_their_ordinary_character() {
        let found = lookalike("QP\u{FF0D}001").unwrap();
        assert_eq!(found, Lookalike::Variant('\u{FF0D}'));
        assert!(found.hint().contains("`-`"), "{}", found.hint());
    }
}
