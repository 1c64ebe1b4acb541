//! Chain tips (Core's `getchaintips`). The kernel offers no iteration over its block index,
//! so the chainstate remembers the blocks it learnt about that have no known child (a block
//! whose parent is such a tip replaces it), with what it knows of their validity, and asks the
//! kernel's block tree for heights, fork points and stored data. The set is kept in
//! `<net>/chaintips.txt` (best effort: the active tip is always known).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use bitcoin::hashes::Hash;
use bitcoin::BlockHash;
use bitcoinkernel::{BlockTreeEntry, ChainstateManager, ProcessBlockResult};

use super::{entry_hash, kernel_hash, lock, ChainState};

/// The status of a chain tip, in Core's `getchaintips` words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TipStatus {
    /// The tip of the active chain.
    Active,
    /// A fully validated branch that is not active.
    ValidFork,
    /// All blocks are stored, but not all were fully validated.
    ValidHeaders,
    /// The branch's block data is not (all) stored.
    HeadersOnly,
    /// The branch contains an invalid block.
    Invalid,
}

impl TipStatus {
    /// Core's name for the status.
    pub fn as_str(self) -> &'static str {
        match self {
            TipStatus::Active => "active",
            TipStatus::ValidFork => "valid-fork",
            TipStatus::ValidHeaders => "valid-headers",
            TipStatus::HeadersOnly => "headers-only",
            TipStatus::Invalid => "invalid",
        }
    }
}

/// One chain tip (see [`ChainState::chain_tips`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainTip {
    /// Height of the tip.
    pub height: i32,
    /// Hash of the tip.
    pub hash: BlockHash,
    /// Number of blocks from the fork point with the active chain to the tip.
    pub branch_len: i32,
    /// Its status.
    pub status: TipStatus,
}

/// What the node learnt of a block's validity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Known {
    /// Fully validated (a valid block-checked verdict, or it was active).
    Valid,
    /// Rejected.
    Invalid,
    /// Stored or seen, not fully validated.
    Unchecked,
}

impl Known {
    fn letter(self) -> char {
        match self {
            Known::Valid => 'v',
            Known::Invalid => 'i',
            Known::Unchecked => 'u',
        }
    }

    fn from_letter(letter: &str) -> Option<Known> {
        match letter {
            "v" => Some(Known::Valid),
            "i" => Some(Known::Invalid),
            "u" => Some(Known::Unchecked),
            _ => None,
        }
    }
}

/// The blocks without known children, with their validity.
#[derive(Debug)]
pub(super) struct TipSet {
    known: HashMap<BlockHash, Known>,
    /// What the file holds.
    saved: HashMap<BlockHash, Known>,
    path: PathBuf,
}

/// Whether `entry` is `of` or one of its ancestors.
fn is_ancestor(entry: &BlockTreeEntry<'_>, of: &BlockTreeEntry<'_>) -> bool {
    of.ancestor(entry.height())
        .is_some_and(|a| entry_hash(&a) == entry_hash(entry))
}

impl TipSet {
    /// Loads the set saved in `net_dir` (an unreadable or missing file gives an empty set).
    pub(super) fn load(net_dir: &Path) -> TipSet {
        let path = net_dir.join("chaintips.txt");
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let known: HashMap<_, _> = text
            .lines()
            .filter_map(|line| {
                let (hash, letter) = line.split_once(' ')?;
                Some((BlockHash::from_str(hash).ok()?, Known::from_letter(letter)?))
            })
            .collect();
        let saved = known.clone();
        TipSet { known, saved, path }
    }

    /// Saves the tips other than the active one (the kernel knows that one at every start), so
    /// a chain that only grows never rewrites the file: a rename per block costs more than
    /// connecting the block.
    fn save(&mut self, active: &BlockHash) {
        let persist: HashMap<BlockHash, Known> = self
            .known
            .iter()
            .filter(|(hash, _)| *hash != active)
            .map(|(hash, known)| (*hash, *known))
            .collect();
        if persist == self.saved {
            return;
        }
        let text: String = persist
            .iter()
            .map(|(hash, known)| format!("{hash} {}\n", known.letter()))
            .collect();
        let tmp = self.path.with_extension("tmp");
        let written = std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, &self.path));
        match written {
            Ok(()) => self.saved = persist,
            Err(e) => tracing::warn!("cannot save the chain tips to {}: {e}", self.path.display()),
        }
    }

    /// Records `hash` (if the kernel knows it) as a tip replacing its parent; an `Invalid`
    /// or `Valid` verdict overrides an earlier one, `Unchecked` keeps it.
    pub(super) fn note(&mut self, chainman: &ChainstateManager, hash: BlockHash, known: Known) {
        let Some(entry) = chainman.get_block_tree_entry(&kernel_hash(&hash)) else {
            return;
        };
        if let Some(prev) = entry.prev() {
            self.known.remove(&entry_hash(&prev));
        }
        let slot = self.known.entry(hash).or_insert(known);
        if known != Known::Unchecked {
            *slot = known;
        }
    }

    /// Marks `hash` valid if it is a remembered tip.
    pub(super) fn mark_valid(&mut self, hash: &BlockHash) {
        if let Some(known) = self.known.get_mut(hash) {
            *known = Known::Valid;
        }
    }

    /// Records the active tip (valid: it was connected), drops what is no longer a tip
    /// (unknown to the kernel, in the active chain below its tip, or below another tip; the
    /// active tip stays even below an invalid block), and saves the set if it changed.
    pub(super) fn settle(&mut self, chainman: &ChainstateManager) {
        let chain = chainman.active_chain();
        let active = chain.tip();
        self.known.insert(entry_hash(&active), Known::Valid);
        let entries: Vec<_> = self
            .known
            .keys()
            .filter_map(|h| chainman.get_block_tree_entry(&kernel_hash(h)))
            .collect();
        let keep: Vec<BlockHash> = entries
            .iter()
            .filter(|e| {
                let hash = entry_hash(e);
                let below = entries
                    .iter()
                    .any(|o| o.height() > e.height() && is_ancestor(e, o));
                hash == entry_hash(&active) || !(below || chain.contains(e))
            })
            .map(entry_hash)
            .collect();
        self.known.retain(|h, _| keep.contains(h));
        self.save(&entry_hash(&active));
    }

    /// The tips, highest first, with branch lengths and statuses.
    pub(super) fn tips(&self, chainman: &ChainstateManager) -> Vec<ChainTip> {
        let chain = chainman.active_chain();
        let active = entry_hash(&chain.tip());
        let mut tips: Vec<ChainTip> = self
            .known
            .iter()
            .filter_map(|(hash, known)| {
                let entry = chainman.get_block_tree_entry(&kernel_hash(hash))?;
                let mut fork = chainman.get_block_tree_entry(&kernel_hash(hash))?;
                while !chain.contains(&fork) {
                    fork = fork.prev()?;
                }
                let status = if *hash == active {
                    TipStatus::Active
                } else if *known == Known::Invalid {
                    TipStatus::Invalid
                } else if chainman.read_block_data(&entry).is_err() {
                    TipStatus::HeadersOnly
                } else if *known == Known::Valid {
                    TipStatus::ValidFork
                } else {
                    TipStatus::ValidHeaders
                };
                Some(ChainTip {
                    height: entry.height(),
                    hash: *hash,
                    branch_len: entry.height() - fork.height(),
                    status,
                })
            })
            .collect();
        tips.sort_by(|a, b| b.height.cmp(&a.height).then(a.hash.cmp(&b.hash)));
        tips
    }
}

impl ChainState {
    /// Records a block just processed (with the verdicts of the blocks checked meanwhile)
    /// in the tip set.
    pub(super) fn note_tip(
        &self,
        chainman: &ChainstateManager,
        hash: BlockHash,
        processed: ProcessBlockResult,
        verdicts: &HashMap<[u8; 32], Result<(), String>>,
    ) {
        let known = match (processed, verdicts.get(&hash.to_byte_array())) {
            // A mutated block says nothing about the block with its header.
            (_, Some(Err(reason))) if reason == "mutated" => Known::Unchecked,
            (_, Some(Err(_))) | (ProcessBlockResult::Rejected, _) => Known::Invalid,
            (_, Some(Ok(()))) => Known::Valid,
            _ => Known::Unchecked,
        };
        let mut tips = lock(&self.tips);
        tips.note(chainman, hash, known);
        for (checked, verdict) in verdicts {
            if verdict.is_ok() {
                tips.mark_valid(&BlockHash::from_byte_array(*checked));
            }
        }
        tips.settle(chainman);
    }

    /// The tips of all branches the node knows of (Core's `getchaintips`): the active tip
    /// and the blocks without known children off the active chain.
    pub fn chain_tips(&self) -> Vec<ChainTip> {
        let guard = self.manager();
        let Some(chainman) = guard.as_ref() else {
            return Vec::new();
        };
        let mut tips = lock(&self.tips);
        tips.settle(chainman);
        tips.tips(chainman)
    }
}
