//! Bytes of fetched documents a sync holds at once. A count of fetches bounds nothing when
//! one feed is 8 MiB: eight of them in flight, each parsed whole, took a cold sync to
//! 230 MiB. Each source's fetch covers its body from a shared budget as it streams in, and
//! keeps what it covered until its articles are written (the document, parsed, is then in
//! whatever form: items, articles, a job waiting for the writer).
//!
//! No deadlock: a fetch the budget cannot cover takes the one overdraft instead, if free,
//! and then needs nothing more; a holder of budget or overdraft waits only for parsing and
//! the writer, never for another fetch. So memory stays under the budget plus one document.

use std::sync::Arc;

use tokio::sync::{Mutex, OwnedMutexGuard, OwnedSemaphorePermit, Semaphore};

/// The budget's unit: a permit covers this many bytes.
const UNIT: usize = 64 * 1024;

#[derive(Clone)]
pub(crate) struct ByteBudget {
    units: Arc<Semaphore>,
    overdraft: Arc<Mutex<()>>,
}

/// What one source's fetch holds of the budget; dropping it gives it back.
#[derive(Default)]
pub(crate) struct BudgetHold {
    permit: Option<OwnedSemaphorePermit>,
    overdraft: Option<OwnedMutexGuard<()>>,
}

impl ByteBudget {
    pub(crate) fn new(bytes: usize) -> Self {
        Self { units: Arc::new(Semaphore::new(bytes.div_ceil(UNIT).max(1))), overdraft: Arc::new(Mutex::new(())) }
    }

    /// Wait until `hold` covers `bytes`, or holds the overdraft.
    pub(crate) async fn cover(&self, hold: &mut BudgetHold, bytes: usize) {
        if hold.overdraft.is_some() {
            return;
        }
        let held = hold.permit.as_ref().map_or(0, OwnedSemaphorePermit::num_permits);
        let needed = bytes.div_ceil(UNIT);
        if needed <= held {
            return;
        }
        let more = u32::try_from(needed - held).unwrap_or(u32::MAX);
        let permit = match self.units.clone().try_acquire_many_owned(more) {
            Ok(permit) => permit,
            Err(_) => {
                tokio::select! {
                    permit = self.units.clone().acquire_many_owned(more) => match permit {
                        Ok(permit) => permit,
                        Err(_) => return, // never closed
                    },
                    overdraft = self.overdraft.clone().lock_owned() => {
                        hold.overdraft = Some(overdraft);
                        // What it held goes back: the overdraft covers the whole document.
                        hold.permit = None;
                        return;
                    }
                }
            }
        };
        match &mut hold.permit {
            Some(held) => held.merge(permit),
            None => hold.permit = Some(permit),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn holds_stay_within_the_budget_plus_one_overdraft() {
        let budget = ByteBudget::new(4 * UNIT);
        let mut a = BudgetHold::default();
        budget.cover(&mut a, 3 * UNIT).await;
        assert_eq!(a.permit.as_ref().map(OwnedSemaphorePermit::num_permits), Some(3));
        // b cannot be covered: it takes the overdraft.
        let mut b = BudgetHold::default();
        budget.cover(&mut b, 2 * UNIT).await;
        assert!(b.overdraft.is_some() && b.permit.is_none());
        budget.cover(&mut b, 100 * UNIT).await;
        // c waits for a or b to finish.
        let mut c = BudgetHold::default();
        let waiting = tokio::time::timeout(Duration::from_millis(50), budget.cover(&mut c, 2 * UNIT)).await;
        assert!(waiting.is_err(), "c must wait");
        drop(b);
        tokio::time::timeout(Duration::from_secs(5), budget.cover(&mut c, 2 * UNIT)).await.expect("the overdraft is free again");
        drop(a);
        let mut d = BudgetHold::default();
        tokio::time::timeout(Duration::from_secs(5), budget.cover(&mut d, 4 * UNIT)).await.expect("a's budget is back");
    }
}
