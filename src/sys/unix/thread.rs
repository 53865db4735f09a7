//! Thread placement, for the measuring code.

/// Pins the calling thread to CPU `cpu` (modulo the CPUs there are), where the OS lets a
/// thread be pinned (Linux, Android, FreeBSD). Errors are ignored: pinning only reduces noise.
#[allow(dead_code)] // until src/bench calls it instead of rustix
pub(crate) fn pin_to_cpu(cpu: usize) {
    #[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
    {
        let n = std::thread::available_parallelism().map_or(1, |n| n.get());
        if n >= 2 {
            let mut set = rustix::thread::CpuSet::new();
            set.set(cpu % n);
            let _ = rustix::thread::sched_setaffinity(None, &set);
        }
    }
    #[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
    let _ = cpu;
}
