//! Where a task was spawned, and its name if it has one, in one word.
//!
//! Most tasks have no name, and a name is set once at spawn and never changes, so the two
//! share a word of the task's meta: for an unnamed task the word is the `&'static
//! Location` of its spawn; for a named one, a pointer to a boxed [`Named`] holding the
//! name and the location, with the low bit set. Both pointees are at least 2-aligned
//! (asserted below), so the low bit of a real pointer is always clear.

use std::fmt;
use std::mem::align_of;
use std::num::NonZeroUsize;
use std::panic::Location;
use std::ptr::NonNull;

/// A task's spawn location and optional name.
pub(crate) struct Site(NonNull<()>);

/// What a named task's site points to.
struct Named {
    name: Box<str>,
    location: &'static Location<'static>,
}

const NAMED: usize = 1;

const _: () = assert!(align_of::<Location<'static>>() > NAMED && align_of::<Named>() > NAMED);

// SAFETY: a `Site` is either a shared reference to a `Location` (which is `Sync`) or the
// sole owner of a `Named`, which holds only `Send + Sync` data and is never written after
// it is made.
unsafe impl Send for Site {}
// SAFETY: as above; `&Site` only reads.
unsafe impl Sync for Site {}

impl Site {
    /// The site of a task spawned at `location`, named `name` if given.
    pub(crate) fn new(name: Option<String>, location: &'static Location<'static>) -> Site {
        match name {
            None => Site(NonNull::from(location).cast()),
            Some(name) => {
                let named = Box::new(Named {
                    name: name.into_boxed_str(),
                    location,
                });
                let ptr = NonNull::from(Box::leak(named)).cast::<()>();
                Site(ptr.map_addr(|addr| addr | NAMED))
            }
        }
    }

    /// The boxed `Named`, if the word is tagged: the pointer `new` leaked, tag cleared.
    fn named_ptr(&self) -> Option<NonNull<Named>> {
        if self.0.addr().get() & NAMED == 0 {
            return None;
        }
        let ptr = self.0.map_addr(|addr| {
            // Clearing the tag of a pointer to a 2-aligned box leaves its address,
            // never zero.
            NonZeroUsize::new(addr.get() & !NAMED).expect("a box is not at address 0")
        });
        Some(ptr.cast())
    }

    fn named(&self) -> Option<&Named> {
        // SAFETY: a tagged word is only made by `new`, from `Box::leak` of a `Named`, which
        // this `Site` owns until it is dropped; `&self` keeps it alive.
        self.named_ptr().map(|ptr| unsafe { ptr.as_ref() })
    }

    pub(crate) fn name(&self) -> Option<&str> {
        self.named().map(|named| &*named.name)
    }

    pub(crate) fn location(&self) -> &'static Location<'static> {
        match self.named() {
            Some(named) => named.location,
            // SAFETY: an untagged word is only made by `new`, from a `&'static Location`.
            None => unsafe { self.0.cast::<Location<'static>>().as_ref() },
        }
    }

    pub(crate) fn is_named(&self) -> bool {
        self.named().is_some()
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        if let Some(ptr) = self.named_ptr() {
            // SAFETY: the `Named` came from `Box::leak` in `new`, and this `Site`, its only
            // owner, is going away.
            drop(unsafe { Box::from_raw(ptr.as_ptr()) });
        }
    }
}

impl fmt::Debug for Site {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Site")
            .field("name", &self.name())
            .field("location", &self.location())
            .finish()
    }
}

#[cfg(all(test, not(corun_loom)))]
mod tests {
    use super::Site;
    use std::mem::size_of;
    use std::panic::Location;

    #[test]
    fn a_site_is_one_word_and_gives_back_what_it_was_made_of() {
        assert_eq!(size_of::<Site>(), size_of::<usize>());
        assert_eq!(size_of::<Option<Site>>(), size_of::<usize>());
        let here = Location::caller();
        let unnamed = Site::new(None, here);
        assert_eq!(unnamed.name(), None);
        assert_eq!(unnamed.location(), here);
        assert!(!unnamed.is_named());
        let named = Site::new(Some("fetch".to_owned()), here);
        assert_eq!(named.name(), Some("fetch"));
        assert_eq!(named.location(), here);
        assert!(named.is_named());
        let empty = Site::new(Some(String::new()), here);
        assert_eq!(empty.name(), Some(""));
    }
}
