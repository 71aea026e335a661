using System;
using System.Management.Automation.Host;

namespace MemMgmt.Shell
{
    /// <summary>
    /// Console-backed raw UI. The formatter asks BufferSize for the table width, so a
    /// redirected run reports a fixed 120 columns instead of failing or guessing 80.
    /// Buffer-cell operations are not supported on a plain ANSI terminal and say so.
    /// </summary>
    internal sealed class MemHostRawUI : PSHostRawUserInterface
    {
        private ConsoleColor _fg = ConsoleColor.Gray;
        private ConsoleColor _bg = ConsoleColor.Black;
        private string _title = "memsh";

        public override ConsoleColor ForegroundColor
        {
            get => _fg;
            set => _fg = value;
        }

        public override ConsoleColor BackgroundColor
        {
            get => _bg;
            set => _bg = value;
        }

        public override Size BufferSize
        {
            get => new Size(ConsoleInfo.Width, ConsoleInfo.OutputIsTerminal ? Math.Max(ConsoleInfo.Height, 9001) : 9001);
            set => throw new NotSupportedException("memsh cannot resize the terminal buffer.");
        }

        public override Coordinates CursorPosition
        {
            get
            {
                if (!ConsoleInfo.OutputIsTerminal) return new Coordinates(0, 0);
                var (left, top) = Console.GetCursorPosition();
                return new Coordinates(left, top);
            }
            set
            {
                if (ConsoleInfo.OutputIsTerminal) Console.SetCursorPosition(value.X, value.Y);
            }
        }

        public override int CursorSize { get; set; } = 25;

        public override bool KeyAvailable => ConsoleInfo.InputIsTerminal && Console.KeyAvailable;

        public override Size MaxPhysicalWindowSize => WindowSize;

        public override Size MaxWindowSize => WindowSize;

        public override Coordinates WindowPosition
        {
            get => new Coordinates(0, 0);
            set { }
        }

        public override Size WindowSize
        {
            get => new Size(ConsoleInfo.Width, ConsoleInfo.Height);
            set => throw new NotSupportedException("memsh cannot resize the terminal window.");
        }

        public override string WindowTitle
        {
            get => _title;
            set
            {
                _title = value;
                if (ConsoleInfo.OutputIsTerminal) Console.Out.Write("\u001b]0;" + value + "\u0007");
            }
        }

        public override void FlushInputBuffer()
        {
            while (ConsoleInfo.InputIsTerminal && Console.KeyAvailable) Console.ReadKey(true);
        }

        public override KeyInfo ReadKey(ReadKeyOptions options)
        {
            if (!ConsoleInfo.InputIsTerminal)
            {
                int c = Console.In.Read();
                if (c < 0) throw new InvalidOperationException("End of input.");
                return new KeyInfo(0, (char)c, 0, true);
            }
            bool intercept = (options & ReadKeyOptions.NoEcho) != 0;
            ConsoleKeyInfo k = Console.ReadKey(intercept);
            ControlKeyStates state = 0;
            if ((k.Modifiers & ConsoleModifiers.Shift) != 0) state |= ControlKeyStates.ShiftPressed;
            if ((k.Modifiers & ConsoleModifiers.Control) != 0) state |= ControlKeyStates.LeftCtrlPressed;
            if ((k.Modifiers & ConsoleModifiers.Alt) != 0) state |= ControlKeyStates.LeftAltPressed;
            return new KeyInfo((int)k.Key, k.KeyChar, state, true);
        }

        public override BufferCell[,] GetBufferContents(Rectangle rectangle) =>
            throw new NotSupportedException("memsh cannot read back the terminal buffer.");

        public override void ScrollBufferContents(Rectangle source, Coordinates destination, Rectangle clip, BufferCell fill) =>
            throw new NotSupportedException("memsh cannot scroll the terminal buffer.");

        public override void SetBufferContents(Coordinates origin, BufferCell[,] contents) =>
            throw new NotSupportedException("memsh cannot write terminal buffer cells.");

        /// <summary>Only "clear screen" (the whole buffer with blanks) is meaningful here: Clear-Host uses it.</summary>
        public override void SetBufferContents(Rectangle rectangle, BufferCell fill)
        {
            if (rectangle.Left == -1 && rectangle.Right == -1 && ConsoleInfo.OutputIsTerminal)
            {
                Console.Clear();
                return;
            }
            throw new NotSupportedException("memsh cannot write terminal buffer cells.");
        }
    }
}
