//! Dense slots for a host's sparse ids. The vector indexes address rows by slot so that the exact
//! scan stays one flat array whatever the ids look like (a remote API's row numbers, hashes,
//! database keys). [`IdSlots`] maps ids to slots and back and reuses the slots of removed ids, so
//! the array does not grow with churn.
//!
//! It is bookkeeping only: it never touches vectors. A caller asks [`IdSlots::slot_for`] which
//! slot an id would occupy, stores the vector there, and only then [`IdSlots::assign`]s it, so a
//! rejected vector leaves the map as it was without any undo.

use rustc_hash::FxHashMap;

/// A two-way map between ids and dense slots, with a free list of released slots.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdSlots {
    slot_of: FxHashMap<u32, u32>,
    /// The id in each slot; `None` for a released slot.
    id_of: Vec<Option<u32>>,
    /// Released slots, reused last-released first.
    free: Vec<u32>,
}

impl IdSlots {
    /// The slot `id` occupies, if it has one.
    pub fn slot(&self, id: u32) -> Option<u32> {
        self.slot_of.get(&id).copied()
    }

    /// The id in `slot`, if the slot is in use.
    pub fn id(&self, slot: u32) -> Option<u32> {
        self.id_of.get(slot as usize).copied().flatten()
    }

    /// The slot [`IdSlots::assign`] would give `id` now: its own, else the last released one,
    /// else a new one past the end. Changes nothing.
    pub fn slot_for(&self, id: u32) -> u32 {
        self.slot(id)
            .or_else(|| self.free.last().copied())
            .unwrap_or(self.id_of.len() as u32)
    }

    /// Gives `id` the slot [`IdSlots::slot_for`] names and returns it; an id that already has a
    /// slot keeps it.
    pub fn assign(&mut self, id: u32) -> u32 {
        if let Some(slot) = self.slot(id) {
            return slot;
        }
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                self.id_of.push(None);
                (self.id_of.len() - 1) as u32
            }
        };
        self.id_of[slot as usize] = Some(id);
        self.slot_of.insert(id, slot);
        slot
    }

    /// Frees the slot of `id` for reuse and returns it; `None` when the id had none.
    pub fn release(&mut self, id: u32) -> Option<u32> {
        let slot = self.slot_of.remove(&id)?;
        self.id_of[slot as usize] = None;
        self.free.push(slot);
        Some(slot)
    }

    /// Ids that hold a slot.
    pub fn len(&self) -> usize {
        self.slot_of.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slot_of.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparse_ids_get_dense_slots_in_both_directions() {
        let mut slots = IdSlots::default();
        assert_eq!(slots.slot_for(1000), 0);
        assert_eq!(slots.slot(1000), None, "asking changes nothing");
        assert_eq!(
            [1000, 7, 42].map(|id| slots.assign(id)),
            [0, 1, 2],
            "slots are dense whatever the ids"
        );
        assert_eq!(slots.assign(7), 1, "an id keeps its slot");
        assert_eq!(slots.slot_for(7), 1);
        assert_eq!((slots.slot(42), slots.id(2)), (Some(2), Some(42)));
        assert_eq!((slots.id(3), slots.slot(5)), (None, None));
        assert_eq!(slots.len(), 3);
    }

    #[test]
    fn released_slots_are_reused_last_released_first() {
        let mut slots = IdSlots::default();
        for id in [10, 11, 12, 13] {
            slots.assign(id);
        }
        assert_eq!(slots.release(11), Some(1));
        assert_eq!(slots.release(13), Some(3));
        assert_eq!(slots.release(11), None, "a second release finds nothing");
        assert_eq!((slots.id(1), slots.slot(11)), (None, None));
        assert_eq!(slots.len(), 2);
        // The next new ids take 3, then 1, then a new slot at the end.
        assert_eq!(slots.slot_for(99), 3);
        assert_eq!([99, 98, 97].map(|id| slots.assign(id)), [3, 1, 4]);
        assert_eq!(slots.id(1), Some(98));
        assert_eq!(slots.slot(11), None, "a released id never comes back");
        assert!(!slots.is_empty());
    }
}
