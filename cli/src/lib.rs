//! The measuring code behind `pipeframe bench` and the criterion transport bench
//! (`cargo bench -p pipeframe-cli --bench transport`). Not published: it lives beside the
//! library, as a workspace member, and uses only the library's public API.

pub mod bench;
