//! Conversions (cty convert).
