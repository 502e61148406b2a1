//! The intervals of a per-item trigger's `every: { by: risk, High: 3 months, ... }`, kept in
//! the order the spec gives them: documents, flowcharts, travellers and `run due` list them
//! as the author wrote them (a risk scale reads High, Medium, Low, not alphabetically).

use super::duration::Duration;

/// Column value → interval, in the spec's order; each value at most once.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Intervals(Vec<(String, Duration)>);

impl Intervals {
    /// Adds the interval of `value`, replacing an earlier one for the same value in its place.
    pub fn insert(&mut self, value: String, every: Duration) {
        match self.0.iter_mut().find(|(k, _)| *k == value) {
            Some(entry) => entry.1 = every,
            None => self.0.push((value, every)),
        }
    }

    /// The interval given for `value` (matched exactly).
    pub fn get(&self, value: &str) -> Option<&Duration> {
        self.0.iter().find(|(k, _)| k == value).map(|(_, d)| d)
    }

    pub fn contains_key(&self, value: &str) -> bool {
        self.get(value).is_some()
    }

    /// The values, in the spec's order.
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.0.iter().map(|(k, _)| k)
    }

    /// (value, interval) pairs, in the spec's order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Duration)> {
        self.0.iter().map(|(k, d)| (k, d))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'a> IntoIterator for &'a Intervals {
    type Item = (&'a String, &'a Duration);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (String, Duration)>,
        fn(&'a (String, Duration)) -> (&'a String, &'a Duration),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, d)| (k, d))
    }
}

#[cfg(test)]
mod tests {
    use crate::spec::trigger::{ItemInterval, Trigger};

    #[test]
    fn keeps_the_order_the_spec_gives() {
        let yaml = "{ for_each: gauges, every: { by: risk, High: 3 months, Medium: 6 months, Low: 1 year } }";
        let Ok(Trigger::ForEach(per)) = serde_yaml::from_str::<Trigger>(yaml) else {
            panic!("a per-item trigger");
        };
        let ItemInterval::By { intervals, .. } = &per.every else {
            panic!("intervals by a column");
        };
        let keys: Vec<&str> = intervals.keys().map(String::as_str).collect();
        assert_eq!(keys, ["High", "Medium", "Low"]);
        assert_eq!(
            per.every.to_string(),
            "by risk (High: 3 months, Medium: 6 months, Low: 1 year)"
        );
        let written = serde_yaml::to_string(&per.every).expect("serializes");
        assert!(
            written.find("High") < written.find("Medium")
                && written.find("Medium") < written.find("Low"),
            "{written}"
        );
    }
}
