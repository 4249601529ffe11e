//! The observatory over HTTP: its pages (`home`, the official statistics' `views`, the
//! network's `indicator_views`) and its open API (`api`: datasets and observations as
//! published; `table`: a view's table as JSON, CSV or JSON-stat; `indicators_api`: the
//! network's indicators). The figures themselves come from `crocevia_app::statistics`.

pub mod api;
pub mod home;
pub mod indicator_views;
pub mod indicators_api;
pub mod table;
pub mod views;
