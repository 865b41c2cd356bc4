// The x86 page-table walk: 2-level (4 KiB and 4 MiB PSE pages) and PAE (3-level,
// 2 MiB pages, NX). Sets accessed and dirty bits as the hardware does and raises
// #PF with the architectural error code and CR2.
#pragma once

#include <cstdint>

#include "core/vcpu.h"

namespace kasou {

namespace pf_err {
inline constexpr uint32_t P = 1, W = 2, U = 4, RSVD = 8, I = 16;
}

struct PageWalk {
  uint64_t phys;       // physical address of the accessed byte
  bool writable;       // for the privilege the walk was made for (CR0.WP applied)
  bool user;           // U/S set at every level
  bool executable;     // NX clear at every level (or NX disabled)
  bool dirty;          // D already set in the final entry
  bool global;
  uint64_t page_bytes; // 4 KiB, 2 MiB or 4 MiB
};

// Walks the page tables for `linear`. `user` is the privilege of the access (CPL 3
// and not an implicit supervisor access). Raises GuestFault(#PF) on failure.
PageWalk paging_walk(Vcpu& v, uint64_t linear, bool write, bool user, bool fetch);

}  // namespace kasou
