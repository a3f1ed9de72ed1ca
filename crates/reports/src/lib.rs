//! parindex-reports: every table as CSV (UTF-8 with BOM) and XLSX, charts as SVG, and
//! criteria sets read from XLSX.

pub mod apology;
pub mod chart;
pub mod criteria_xlsx;
pub mod docx;
pub mod sheet_csv;
pub mod table;
pub mod temp;
pub mod zipcheck;

pub use table::{Cell, Table};

#[cfg(test)]
mod fuzz;
