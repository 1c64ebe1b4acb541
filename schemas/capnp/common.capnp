# Small value types shared by several interfaces (wire-compatible with
# Bitcoin Core's common.capnp).

@0xcd2c6232cb484a28;

struct BlockRef {
    # A block named by hash (32 bytes, internal byte order) and height.
    hash @0 :Data;
    height @1 :Int32;
}
