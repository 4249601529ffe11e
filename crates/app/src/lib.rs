//! The application's use cases, between the domain and the web: what a workflow checks, which
//! rows it builds, and what it writes in one transaction. Each use case takes the narrow store
//! ports it needs (`crocevia_store`'s `DeskStore`, `AccountStore`, `DirectoryRead`, …) and the
//! clock, returns its own error with stable codes, and is tested without HTTP.
//!
//! A handler in `crocevia-web` parses the request, calls one use case and renders its result.

pub mod desk;
pub mod survey;
