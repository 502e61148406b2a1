//! What changed in the register files a procedure's per-item flows go through
//! (`Procedure::register_files`): items added, removed or changed, by their key.

use super::diff::{Change, Kind};
use crate::spec::items::RegisterCopy;

/// Every change from the registers of `old` to those of `new`, by register id.
pub fn compare(out: &mut Vec<Change>, old: &[RegisterCopy], new: &[RegisterCopy]) {
    for n in new {
        let subject = format!("register {} ({})", n.id, n.file);
        let Some(o) = old.iter().find(|o| o.id == n.id) else {
            out.push(Change::new(Kind::Added, subject).detail(format!("{} items", n.rows.len())));
            continue;
        };
        if o == n {
            continue;
        }
        if o.header != n.header || o.key != n.key || o.file != n.file {
            out.push(Change::new(Kind::Changed, subject.clone()).detail(format!(
                "{} (key {}) → {} (key {})",
                o.header.join(", "),
                o.key,
                n.header.join(", "),
                n.key
            )));
        }
        let (old_keys, new_keys) = (o.keys(), n.keys());
        let mut items = Vec::new();
        for (i, k) in new_keys.iter().enumerate() {
            match old_keys.iter().position(|ok| ok == k) {
                None => items.push(format!("item {k} added: {}", n.rows[i].join(", "))),
                Some(j) if o.rows[j] != n.rows[i] => items.push(format!(
                    "item {k}: {} → {}",
                    o.rows[j].join(", "),
                    n.rows[i].join(", ")
                )),
                Some(_) => {}
            }
        }
        for k in old_keys.iter().filter(|k| !new_keys.contains(k)) {
            items.push(format!("item {k} removed"));
        }
        if items.is_empty() && old_keys != new_keys {
            items.push("items reordered".to_string());
        }
        if !items.is_empty() {
            let mut change = Change::new(Kind::Changed, subject).aspect("items");
            for item in items {
                change = change.detail(item);
            }
            out.push(change);
        }
    }
    for o in old.iter().filter(|o| !new.iter().any(|n| n.id == o.id)) {
        out.push(Change::new(
            Kind::Removed,
            format!("register {} ({})", o.id, o.file),
        ));
    }
}
