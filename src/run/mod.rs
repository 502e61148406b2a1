//! Running flows as checklists: the working-time calendar (used by the checker's deadline
//! rules too).

pub mod calendar;
