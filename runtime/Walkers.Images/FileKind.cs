using System;
using System.IO;
using System.Runtime.InteropServices;

namespace Walkers.Images;

/// <summary>
/// What a path names, checked before it is opened: opening a FIFO blocks until a writer comes, and a character device
/// or a socket streams without end, so only regular files and block devices are images.
/// </summary>
internal static unsafe partial class FileKind
{
    private const int TypeMask = 0xf000; // S_IFMT
    private const int Socket = 0xc000, Regular = 0x8000, Block = 0x6000, Directory = 0x4000, Character = 0x2000, Fifo = 0x1000;

    /// <exception cref="ImageFormatException">The path names something other than a regular file or block device, or nothing.</exception>
    public static void Check(string path)
    {
        if (!OperatingSystem.IsLinux())
            return;
        int? mode = Mode(path);
        if (mode is not int found)
            return; // statx unavailable: the open that follows reports what is wrong
        string? refusal = (found & TypeMask) switch
        {
            Regular or Block => null,
            Directory => "is a directory",
            Fifo => "is a FIFO (a named pipe), not an image file; copy the dump to a file first",
            Character => "is a character device, not an image file",
            Socket => "is a socket, not an image file",
            _ => "is not a regular file",
        };
        if (refusal is not null)
            throw new ImageFormatException($"{path}: {refusal}");
    }

    /// <summary>The st_mode of the file the path names (following links), or null when statx is not there.</summary>
    private static int? Mode(string path)
    {
        const int AtFdCwd = -100;
        const uint StatxType = 0x1; // STATX_TYPE
        byte* buffer = stackalloc byte[256]; // struct statx is 256 bytes; stx_mode is the u16 at offset 28
        int result;
        try
        {
            result = Statx(AtFdCwd, path, 0, StatxType, buffer);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
        if (result != 0)
        {
            int error = Marshal.GetLastPInvokeError();
            const int NoEntry = 2, Access = 13, NotDirectory = 20, NameTooLong = 36, Loop = 40;
            throw new ImageFormatException(error switch
            {
                NoEntry => $"{path}: no such file",
                Access => $"{path}: permission denied",
                NotDirectory => $"{path}: a part of the path is not a directory",
                NameTooLong => $"{path}: file name too long",
                Loop => $"{path}: too many levels of symbolic links",
                _ => $"{path}: cannot read: {Marshal.GetPInvokeErrorMessage(error)}",
            });
        }
        int mode = *(ushort*)(buffer + 28);
        return mode;
    }

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Statx(int directory, string path, int flags, uint mask, byte* buffer);
}
