//! End-to-end tests: the real binaries, real sockets, real processes.

mod failure;
mod lifecycle;
mod lifetime;
mod node;
mod spawn;
mod wrapper;
