//! Background jobs of the desk (filled in below).
