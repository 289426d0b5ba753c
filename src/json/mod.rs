//! JSON and JSON-like text, below every other layer (it imports nothing from the crate):
//! [`relaxed`] reads the object literals people paste (strict JSON, Python and JavaScript
//! dumps) into a `serde_json::Value`; [`close`] closes a JSON value a file cut off mid-way.

pub mod close;
pub mod relaxed;
