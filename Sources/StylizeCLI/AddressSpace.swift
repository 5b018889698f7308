import CVipsShim
import StyleTransfer

/// Under an address-space limit (RLIMIT_AS) the CLI, which owns its process,
/// also sets glibc's malloc for it: one arena (no 64 MiB reserved per thread)
/// and big blocks unmapped when freed. The engine's own threads' mappings are
/// made before admission by the engine itself (`AddressLimit`), at every door.
enum AddressSpace {
    static func prepareForLimit() {
        guard AddressLimit.isSet else { return }
        stylize_malloc_for_address_limit()
        AddressLimit.mapEngineBuffers()
    }
}
