//! Locks that outlive a panic. A thread that panicked while holding one of the core's
//! mutexes left nothing half-done behind it: the store's writes are SQLite transactions
//! (rolled back when dropped) and the other guarded values are plain maps. So the next
//! caller takes the lock as it is, rather than every later call failing too.

use std::sync::{Mutex, MutexGuard};

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
