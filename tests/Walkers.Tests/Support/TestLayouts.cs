using Walkers;

namespace Walkers.Tests.Support;

// Layouts that exist only for the tests: they drive the generator through paths the ready layouts do not take.

/// <summary>
/// AArch64 4 KiB, 48-bit, as a new user first writes it: the table rule as the manual states it (TableMask =
/// TableValue = 0b11, so the rule includes the valid bit) and nothing strict. Map once wrote its blocks here with
/// bits[1:0] = 0b00 (not present).
/// </summary>
[PageTable(VirtualAddressBits = 48, PresentMask = 0x1, AddressMask = 0x0000_FFFF_FFFF_F000, TableMask = 0x3, TableValue = 0x3)]
[PageLevel(4, Shift = 39, Entries = 512, Prot = 0x3)]
[PageLevel(3, Shift = 30, Entries = 512, Prot = 0x3, Leaf = true)]
[PageLevel(2, Shift = 21, Entries = 512, Prot = 0x3, Leaf = true)]
[PageLevel(1, Shift = 12, Entries = 512, Prot = 0x403)]
public static partial class AArch64AsWritten;
