//! Work shared among threads that the system may refuse to start.
//!
//! `std::thread::scope`'s `spawn` panics when a thread cannot be made, and the likeliest reason
//! is the one we promise to report clearly: memory (an address-space cap leaves no room for a
//! thread's stack), or a cap on processes. Every parallel step here takes its items from a
//! shared queue, so a refused thread costs only speed: the threads that did start, this one
//! among them, take its share.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

/// Runs `work` on up to `threads` threads, the calling one included, and returns when every one
/// has finished. `work` must take items from a shared queue until none are left.
pub(crate) fn share(threads: usize, work: impl Fn() + Sync) {
    std::thread::scope(|scope| {
        for _ in 1..threads {
            if std::thread::Builder::new().spawn_scoped(scope, &work).is_err() {
                break;
            }
        }
        work();
    });
}

/// `f` of every item on up to `threads` threads, the results in the items' order (whichever
/// thread made each), so that what is made from them does not depend on the threads.
pub(crate) fn map<T: Sync, R: Send>(threads: usize, items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<R>>> = items.iter().map(|_| Mutex::new(None)).collect();
    share(threads, || {
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(i) else { break };
            let made = f(item);
            *slots[i].lock().unwrap_or_else(PoisonError::into_inner) = Some(made);
        }
    });
    // Every slot is filled once `share` returns: each index was taken by one thread, and an `f`
    // that panicked has unwound through `share` already.
    slots.into_iter().filter_map(|slot| slot.into_inner().unwrap_or_else(PoisonError::into_inner)).collect()
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn results_come_in_the_items_order() {
        let items: Vec<usize> = (0..50).collect();
        for threads in [1, 3] {
            assert_eq!(super::map(threads, &items, |i| i * 2), items.iter().map(|i| i * 2).collect::<Vec<_>>());
        }
    }

    #[test]
    fn every_item_is_taken_once_whatever_the_number_of_threads() {
        for threads in [0, 1, 2, 7] {
            let next = AtomicUsize::new(0);
            let sum = AtomicUsize::new(0);
            super::share(threads, || {
                while let Some(i) = Some(next.fetch_add(1, Ordering::Relaxed)).filter(|&i| i < 100) {
                    sum.fetch_add(i, Ordering::Relaxed);
                }
            });
            assert_eq!(sum.into_inner(), 4950, "{threads} threads");
        }
    }
}
