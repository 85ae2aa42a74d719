using System;
using System.IO;
using System.Runtime.CompilerServices;

namespace Walkers.PtDump;

/// <summary>
/// Builds output lines in one char buffer and hands it to the writer in large blocks: a listing is thousands
/// of short lines, and a call per field or per line would cost more than the walk.
/// </summary>
internal sealed class OutputBuffer(TextWriter writer)
{
    private const int Capacity = 1 << 16;
    private const int Slack = 512; // room for the longest line, so a line never straddles a flush

    private readonly char[] _buffer = new char[Capacity];
    private int _length;

    public TextWriter Writer { get; } = writer;

    /// <summary>Flushes first when fewer than <see cref="Slack"/> chars are free; call once per line.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void BeginLine()
    {
        if (_length > Capacity - Slack)
            Flush();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Char(char c) => _buffer[_length++] = c;

    public void Text(string text)
    {
        if (text.Length > Capacity - _length)
        {
            Flush();
            Writer.Write(text);
            return;
        }
        text.CopyTo(0, _buffer, _length, text.Length);
        _length += text.Length;
    }

    /// <summary>Lower-case hex, zero-padded to <paramref name="digits"/> (more digits when the value needs them).</summary>
    public void Hex(ulong value, int digits)
    {
        int needed = value == 0 ? 1 : (67 - BitOperationsLeadingZeroCount(value)) / 4;
        if (needed > digits)
            digits = needed;
        int end = _length + digits;
        for (int i = end - 1; i >= _length; i--)
        {
            _buffer[i] = "0123456789abcdef"[(int)(value & 0xf)];
            value >>= 4;
        }
        _length = end;
    }

    public void Decimal(ulong value)
    {
        Span<char> digits = stackalloc char[20];
        value.TryFormat(digits, out int written, default, System.Globalization.CultureInfo.InvariantCulture);
        digits[..written].CopyTo(_buffer.AsSpan(_length));
        _length += written;
    }

    public void Flush()
    {
        if (_length > 0)
        {
            Writer.Write(_buffer, 0, _length);
            _length = 0;
        }
    }

    private static int BitOperationsLeadingZeroCount(ulong value) => System.Numerics.BitOperations.LeadingZeroCount(value);
}
