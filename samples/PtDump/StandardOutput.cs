using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;

namespace Walkers.PtDump;

/// <summary>
/// Standard output written with write(2) on fd 1, so that a write to a pipe whose reader went away fails (EPIPE)
/// and ptdump stops, instead of the console stream swallowing the error and the walk going on for minutes; a closed
/// stdout (EBADF) fails the same way, with one line.
/// </summary>
internal static partial class StandardOutput
{
    public static TextWriter Open() =>
        // One large buffer: listings are thousands of lines.
        new StreamWriter(OperatingSystem.IsWindows() ? Console.OpenStandardOutput() : new DescriptorStream(1), new UTF8Encoding(false), 1 << 16) { AutoFlush = false };

    private const int Interrupted = 4, BrokenPipe = 32, BadDescriptor = 9;

    private static volatile bool s_readerWentAway;

    /// <summary>The reader of a pipe on stdout went away (seen by a write or by <see cref="WatchReader"/>).</summary>
    public static bool ReaderWentAway => s_readerWentAway;

    /// <summary>
    /// Cancels the token when the reader of a pipe on stdout goes away, checked five times a second: a listing that
    /// is still walking (the linux format prints a run only when it ends) has nothing to write that would fail.
    /// </summary>
    public static ReaderWatch WatchReader() => new();

    /// <summary>A token cancelled when the reader of stdout goes away; disposing stops the checks.</summary>
    public sealed class ReaderWatch : IDisposable
    {
        private readonly CancellationTokenSource _gone = new();
        private readonly Timer? _timer;
        private bool _disposed;

        public ReaderWatch()
        {
            if (!OperatingSystem.IsWindows())
                _timer = new Timer(_ => Check(), null, 200, 200);
        }

        public CancellationToken Token => _gone.Token;

        private void Check()
        {
            lock (_gone)
            {
                if (_disposed || _gone.IsCancellationRequested || !ReaderClosed())
                    return;
                s_readerWentAway = true;
                _gone.Cancel();
            }
        }

        public void Dispose()
        {
            _timer?.Dispose();
            lock (_gone)
            {
                _disposed = true;
                _gone.Dispose();
            }
        }
    }

    private static unsafe bool ReaderClosed()
    {
        const short Error = 0x8, HangUp = 0x10; // POLLERR, POLLHUP: what poll reports on a pipe whose reader closed
        var watched = new PollDescriptor { Descriptor = 1, Events = 0 };
        return Poll(&watched, 1, 0) == 1 && (watched.Returned & (Error | HangUp)) != 0;
    }

    private struct PollDescriptor
    {
        public int Descriptor;
        public short Events;
        public short Returned;
    }

    [LibraryImport("libc", EntryPoint = "poll")]
    private static unsafe partial int Poll(PollDescriptor* descriptors, nuint count, int timeout);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static unsafe partial nint Write(int descriptor, byte* buffer, nuint count);

    /// <summary>A write-only stream over a file descriptor that reports every error.</summary>
    private sealed class DescriptorStream(int descriptor) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override unsafe void Write(ReadOnlySpan<byte> buffer)
        {
            fixed (byte* start = buffer)
            {
                for (int done = 0; done < buffer.Length;)
                {
                    nint written = StandardOutput.Write(descriptor, start + done, (nuint)(buffer.Length - done));
                    if (written >= 0)
                    {
                        done += (int)written;
                        continue;
                    }
                    int error = Marshal.GetLastPInvokeError();
                    if (error == Interrupted)
                        continue;
                    if (error == BrokenPipe)
                        s_readerWentAway = true;
                    throw new OutputClosedException(error == BrokenPipe, error switch
                    {
                        BrokenPipe => "standard output was closed by its reader (broken pipe)",
                        BadDescriptor => "standard output is closed",
                        _ => $"cannot write to standard output (errno {error})",
                    });
                }
            }
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}

/// <summary>Standard output cannot be written: its reader went away (nothing to report: the reader chose to stop) or it is closed.</summary>
internal sealed class OutputClosedException(bool readerWentAway, string message) : IOException(message)
{
    public bool ReaderWentAway { get; } = readerWentAway;
}
