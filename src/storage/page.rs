//! Pages read within a byte budget as well as a count: rows are streamed from
//! the database and a page ends early once it holds `PAGE_BUDGET_BYTES`, so
//! a page of large rows (records stored before today's limits, catalog items
//! of up to a listing's 1 MiB, many times that once parsed) is never read
//! whole into memory.

use futures::{Stream, TryStreamExt};
use sea_orm::DbErr;

use super::error::StorageError;

/// Bytes of stored rows one page may hold, beside its count. The largest
/// records today's limits allow are about 45 KB stored, records stored before
/// the headers' total limit up to 1 MB, and a catalog item up to a listing's
/// 1 MiB (tens of MB once parsed): 200 of those would be hundreds of MB held
/// at once. A page ends early at this budget (its cursor says where to go
/// on), never before its first item.
pub const PAGE_BUDGET_BYTES: usize = 2 * 1024 * 1024;

/// What a row costs beyond its text: ids, times, the structs around it.
const ROW_OVERHEAD_BYTES: usize = 256;

/// The items read for a page, in order.
#[derive(Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The byte budget ended the page before its count, with more to come.
    pub cut_short: bool,
}

impl<T> Page<T> {
    /// Keeps at most `limit` items of a page read with one item ahead, and
    /// answers the last one kept if another page follows (that item was
    /// there, or the budget ended the page early): where the next begins.
    pub fn cut(&mut self, limit: usize) -> Option<&T> {
        let more = self.items.len() > limit || self.cut_short;
        self.items.truncate(limit);
        self.items.last().filter(|_| more)
    }
}

/// What is left of a page's `PAGE_BUDGET_BYTES`.
pub(super) struct Budget {
    left: usize,
    cut_short: bool,
}

impl Budget {
    pub fn new() -> Self {
        Self {
            left: PAGE_BUDGET_BYTES,
            cut_short: false,
        }
    }

    /// The budget ended the page, with more to come.
    pub fn is_spent(&self) -> bool {
        self.cut_short
    }

    pub fn page<T>(self, items: Vec<T>) -> Page<T> {
        Page {
            items,
            cut_short: self.cut_short,
        }
    }

    /// The rows of `rows`, opened one at a time, while the budget lasts:
    /// past it the rest are not read (one more is, to tell whether any
    /// follows). `text_bytes` is what a row holds in its text columns.
    pub async fn read<R, T>(
        &mut self,
        mut rows: impl Stream<Item = Result<R, DbErr>> + Unpin,
        text_bytes: impl Fn(&R) -> usize,
        mut open: impl FnMut(R) -> Result<T, StorageError>,
    ) -> Result<Vec<T>, StorageError> {
        let mut items = Vec::new();
        while let Some(row) = rows.try_next().await? {
            if self.cut_short {
                // The page is full and another row follows it.
                return Ok(items);
            }
            self.left = self
                .left
                .saturating_sub(text_bytes(&row) + ROW_OVERHEAD_BYTES);
            items.push(open(row)?);
            self.cut_short = self.left == 0;
        }
        // Nothing followed the row that filled the page.
        self.cut_short = false;
        Ok(items)
    }
}

/// The bytes of the text columns of a row, present or not.
pub(super) fn text_bytes<'a>(columns: impl IntoIterator<Item = Option<&'a String>>) -> usize {
    columns.into_iter().flatten().map(String::len).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn read(sizes: &[usize]) -> Page<usize> {
        let rows = futures::stream::iter(sizes.iter().map(|size| Ok::<_, DbErr>(*size)));
        let mut budget = Budget::new();
        let items = budget.read(rows, |size| *size, Ok).await.unwrap();
        budget.page(items)
    }

    #[tokio::test]
    async fn a_page_ends_at_the_budget_and_says_more_follow_only_when_they_do() {
        let mib = 1024 * 1024;
        // Three rows of 1 MiB: the budget is spent by the second.
        let page = read(&[mib, mib, mib]).await;
        assert_eq!(page.items.len(), 2);
        assert!(page.cut_short);
        // The row that spends it is the last: nothing more to come.
        let page = read(&[mib, mib]).await;
        assert_eq!(page.items.len(), 2);
        assert!(!page.cut_short);
        // A row larger than the budget still makes a page of its own.
        let page = read(&[5 * mib, 1]).await;
        assert_eq!(page.items, [5 * mib]);
        assert!(page.cut_short);
        // Small rows: the count decides.
        let mut page = read(&[10; 51]).await;
        assert!(page.cut(50).is_some());
        assert_eq!(page.items.len(), 50);
        let mut page = read(&[10; 50]).await;
        assert!(page.cut(50).is_none());
    }
}
