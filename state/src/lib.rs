//! sakk state model, backends and locks (see issue 4).
