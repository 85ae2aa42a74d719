namespace Walkers.Tests.Runtime;

public sealed class VirtualRangeTests
{
    private static (bool Ok, ulong From, ulong To) Clip(int bits, bool signExtend, ulong from, ulong to)
    {
        bool ok = VirtualRange.TryClip(bits, signExtend ? AddressHalf.SignExtended : AddressHalf.Low, ref from, ref to);
        return (ok, from, to);
    }

    [Theory]
    [InlineData(32, false)]
    [InlineData(48, true)]
    [InlineData(64, false)]
    public void TryClip_rejects_a_range_whose_from_is_above_its_to(int bits, bool signExtend) =>
        Assert.False(Clip(bits, signExtend, 0x2000, 0x1FFF).Ok);

    [Fact]
    public void TryClip_32_bit_keeps_a_range_inside_and_cuts_its_end_at_4G()
    {
        Assert.Equal((true, 0x1000UL, 0x1FFFUL), Clip(32, false, 0x1000, 0x1FFF));
        Assert.Equal((true, 0x1000UL, 0xFFFF_FFFFUL), Clip(32, false, 0x1000, ulong.MaxValue));
        Assert.Equal((true, 0xFFFF_FFFFUL, 0xFFFF_FFFFUL), Clip(32, false, 0xFFFF_FFFF, 0xFFFF_FFFF));
        Assert.Equal((true, 0UL, 0UL), Clip(32, false, 0, 0));
    }

    [Fact]
    public void TryClip_32_bit_rejects_a_range_that_starts_above_4G() =>
        Assert.False(Clip(32, false, 0x1_0000_0000, ulong.MaxValue).Ok);

    [Fact]
    public void TryClip_64_bit_without_sign_extension_keeps_everything() =>
        Assert.Equal((true, 0UL, ulong.MaxValue), Clip(64, false, 0, ulong.MaxValue));

    [Fact]
    public void TryClip_48_bit_sign_extended_whole_space_becomes_the_whole_linear_space() =>
        Assert.Equal((true, 0UL, 0xFFFF_FFFF_FFFFUL), Clip(48, true, 0, ulong.MaxValue));

    [Theory]
    [InlineData(0x8000_0000_0000UL, 0xFFFF_7FFF_FFFF_FFFFUL)] // exactly the hole
    [InlineData(0x9000_0000_0000UL, 0xA000_0000_0000UL)]     // inside it
    [InlineData(0x8000_0000_0000UL, 0x8000_0000_0000UL)]     // its first address
    [InlineData(0xFFFF_7FFF_FFFF_FFFFUL, 0xFFFF_7FFF_FFFF_FFFFUL)] // its last address
    public void TryClip_48_bit_sign_extended_rejects_a_range_inside_the_hole(ulong from, ulong to) =>
        Assert.False(Clip(48, true, from, to).Ok);

    [Fact]
    public void TryClip_48_bit_moves_ends_inside_the_hole_to_the_nearest_canonical_address_within_the_range()
    {
        Assert.Equal((true, 0x8000_0000_0000UL, 0x8000_0000_0FFFUL), Clip(48, true, 0x9000_0000_0000, 0xFFFF_8000_0000_0FFF));
        Assert.Equal((true, 0x7FFF_FFFF_F000UL, 0x7FFF_FFFF_FFFFUL), Clip(48, true, 0x7FFF_FFFF_F000, 0x9000_0000_0000));
        Assert.Equal((true, 0x7FFF_FFFF_FFFFUL, 0x8000_0000_0000UL), Clip(48, true, 0x7FFF_FFFF_FFFF, 0xFFFF_8000_0000_0000));
    }

    [Fact]
    public void TryClip_48_bit_high_half_becomes_linear()
    {
        Assert.Equal((true, 0x8000_0000_0000UL, 0xFFFF_FFFF_FFFFUL), Clip(48, true, 0xFFFF_8000_0000_0000, ulong.MaxValue));
        Assert.Equal((true, 0xFFFF_FFFF_FFFFUL, 0xFFFF_FFFF_FFFFUL), Clip(48, true, ulong.MaxValue, ulong.MaxValue));
    }

    [Fact]
    public void TryClip_57_bit_sign_extended_keeps_its_own_hole()
    {
        Assert.Equal((true, 0UL, 0x01FF_FFFF_FFFF_FFFFUL), Clip(57, true, 0, ulong.MaxValue));
        Assert.False(Clip(57, true, 0x0100_0000_0000_0000, 0xFEFF_FFFF_FFFF_FFFF).Ok);
        Assert.Equal((true, 0x00FF_FFFF_FFFF_F000UL, 0x00FF_FFFF_FFFF_FFFFUL), Clip(57, true, 0x00FF_FFFF_FFFF_F000, 0xFEFF_FFFF_FFFF_FFFF));
    }

    [Theory]
    [InlineData(0UL, 0UL)]
    [InlineData(0x7FFF_FFFF_FFFFUL, 0x7FFF_FFFF_FFFFUL)]
    [InlineData(0x8000_0000_0000UL, 0xFFFF_8000_0000_0000UL)]
    [InlineData(0xFFFF_FFFF_FFFFUL, 0xFFFF_FFFF_FFFF_FFFFUL)]
    public void Canonical_sign_extends_bit_47(ulong linear, ulong canonical)
    {
        Assert.Equal(canonical, VirtualRange.Canonical(linear, 48, AddressHalf.SignExtended));
        Assert.True(VirtualRange.IsCanonical(canonical, 48, AddressHalf.SignExtended));
    }

    [Fact]
    public void Canonical_without_sign_extension_is_the_identity_and_IsCanonical_checks_the_width()
    {
        Assert.Equal(0x8000_0000UL, VirtualRange.Canonical(0x8000_0000, 32, AddressHalf.Low));
        Assert.True(VirtualRange.IsCanonical(0xFFFF_FFFF, 32, AddressHalf.Low));
        Assert.False(VirtualRange.IsCanonical(0x1_0000_0000, 32, AddressHalf.Low));
        Assert.True(VirtualRange.IsCanonical(ulong.MaxValue, 64, AddressHalf.Low));
        Assert.False(VirtualRange.IsCanonical(0x8000_0000_0000, 48, AddressHalf.SignExtended));
        Assert.False(VirtualRange.IsCanonical(0xFFFF_7FFF_FFFF_FFFF, 48, AddressHalf.SignExtended));
    }

    [Fact]
    public void An_upper_half_of_48_bits_is_the_top_256_TiB_and_clips_to_its_linear_addresses()
    {
        Assert.Equal(0xFFFF_0000_0000_0000UL, VirtualRange.Canonical(0, 48, AddressHalf.High));
        Assert.Equal(ulong.MaxValue, VirtualRange.Canonical(0xFFFF_FFFF_FFFF, 48, AddressHalf.High));
        Assert.True(VirtualRange.IsCanonical(0xFFFF_0000_0000_0000, 48, AddressHalf.High));
        Assert.False(VirtualRange.IsCanonical(0xFFFE_FFFF_FFFF_FFFF, 48, AddressHalf.High));
        Assert.False(VirtualRange.IsCanonical(0x0000_8000_0000_0000, 48, AddressHalf.High));
        ulong from = 0, to = ulong.MaxValue;
        Assert.True(VirtualRange.TryClip(48, AddressHalf.High, ref from, ref to));
        Assert.Equal((0UL, 0xFFFF_FFFF_FFFFUL), (from, to));
        from = 0xFFFF_8000_0000_1234; to = 0xFFFF_8000_0000_5678;
        Assert.True(VirtualRange.TryClip(48, AddressHalf.High, ref from, ref to));
        Assert.Equal((0x8000_0000_1234UL, 0x8000_0000_5678UL), (from, to));
        from = 0; to = 0xFFFE_FFFF_FFFF_FFFF;
        Assert.False(VirtualRange.TryClip(48, AddressHalf.High, ref from, ref to));
    }

    [Fact]
    public void Untag_clears_a_lower_halfs_top_byte_sets_an_upper_halfs_and_leaves_other_layouts_alone()
    {
        Assert.Equal(0x0000_FFFF_1234_5000UL, VirtualRange.Untag(0xA500_FFFF_1234_5000, AddressHalf.Low, ignoresTopByte: true));
        Assert.Equal(0xFFFF_8000_0000_0000UL, VirtualRange.Untag(0x00FF_8000_0000_0000, AddressHalf.High, ignoresTopByte: true));
        Assert.Equal(0xA500_FFFF_1234_5000UL, VirtualRange.Untag(0xA500_FFFF_1234_5000, AddressHalf.Low, ignoresTopByte: false));
    }
}
