//! Merkle trees for block templates: the root and the coinbase's branch from one pass over
//! the tree, hashed with the `sha2` crate (which uses the CPU's SHA extensions when present;
//! a template of 5,000 transactions hashes two trees of 5,000 leaves).

use sha2::{Digest, Sha256};

/// SHA256d of two 32-byte nodes.
fn hash_pair(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    let mut engine = Sha256::new();
    engine.update(left);
    engine.update(right);
    Sha256::digest(engine.finalize()).into()
}

/// The next level up (an odd last node pairs with itself, as in Bitcoin).
fn level_up(level: &[[u8; 32]]) -> Vec<[u8; 32]> {
    level
        .chunks(2)
        .map(|pair| hash_pair(&pair[0], pair.get(1).unwrap_or(&pair[0])))
        .collect()
}

/// The merkle root of `leaves` and the branch of leaf 0 (its sibling at each level, from
/// the leaves up); all zeros and no branch for no leaves.
pub fn root_and_first_branch(leaves: Vec<[u8; 32]>) -> ([u8; 32], Vec<[u8; 32]>) {
    let mut level = leaves;
    let mut branch = Vec::new();
    while level.len() > 1 {
        branch.push(level[1]);
        level = level_up(&level);
    }
    (level.first().copied().unwrap_or([0; 32]), branch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::hashes::Hash;

    #[test]
    fn same_root_as_rust_bitcoin_and_the_branch_leads_to_it() {
        for n in 1..=17u8 {
            let leaves: Vec<[u8; 32]> = (0..n).map(|i| [i.wrapping_mul(37); 32]).collect();
            let (root, branch) = root_and_first_branch(leaves.clone());
            let expected = bitcoin::merkle_tree::calculate_root(
                leaves
                    .iter()
                    .map(|l| bitcoin::hashes::sha256d::Hash::from_byte_array(*l)),
            )
            .expect("root");
            assert_eq!(root, expected.to_byte_array(), "{n} leaves");
            let folded = branch.iter().fold(leaves[0], |h, s| hash_pair(&h, s));
            assert_eq!(folded, root, "{n} leaves");
        }
        assert_eq!(root_and_first_branch(Vec::new()), ([0; 32], Vec::new()));
    }
}
