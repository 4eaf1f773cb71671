#![doc = include_str!("../README.md")]

mod error;
mod persona;
mod write;

pub use error::Error;
pub use persona::{
    BADGE_CLASSES, CHAIN_ID, EPOCH, EXCHANGES, GAMEFI_BADGE_CLASS, LABEL_CATEGORY,
    POINT_CATEGORIES, Persona,
};
pub use write::{MAX_USERS, Spec, Summary, generate};
