namespace SdAE.Abstractions.Options;

/// <summary>
/// Options classes are plain classes with settable properties; the experiment key of a property
/// is its name in snake_case (`DropPath` is `drop_path`). Ranges are declared with
/// <see cref="System.ComponentModel.DataAnnotations.RangeAttribute"/>, help text with
/// <see cref="System.ComponentModel.DescriptionAttribute"/>. Checks that involve several options
/// implement this interface.
/// </summary>
public interface IValidatableOptions
{
    /// <summary>Problems with the options as a whole: (the key to blame, what is wrong and how to fix it).</summary>
    IEnumerable<OptionError> Validate();
}

/// <summary>One problem with a bound option. <see cref="Key"/> is the snake_case key to point at.</summary>
public sealed record OptionError(string Key, string Message);
