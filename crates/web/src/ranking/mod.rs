//! Sets, rankings, score cards, the criteria browser and the JSON API.

pub mod api;
pub mod mapping;
pub mod pages;
pub mod whatif;
pub mod years;
