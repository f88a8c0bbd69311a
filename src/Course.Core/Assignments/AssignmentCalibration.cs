using System.Globalization;

namespace Course.Core.Assignments;

/// <summary>Records a starter calibration in an assignment's front matter, leaving every other line as the author wrote it.</summary>
public static class AssignmentCalibration
{
    public static void Write(string assignmentFile, StarterCalibration calibration)
    {
        var lines = File.ReadAllLines(assignmentFile).ToList();
        var end = lines.Count > 0 && lines[0].TrimEnd() == "---" ? lines.FindIndex(1, l => l.TrimEnd() == "---") : -1;
        if (end < 0)
        {
            throw new InvalidDataException($"{assignmentFile}: no YAML front matter to record the calibration in");
        }
        string Number(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);
        string[] block =
        [
            "calibration:                       # the unchanged starter (./course assignments calibrate); the pass mark lies above both",
            $"  starter_validation: {Number(calibration.StarterValidation)}",
            $"  starter_hidden_sample: {Number(calibration.StarterHiddenSample)}",
            $"  measured: {calibration.Measured}",
        ];
        var start = lines.FindIndex(1, end - 1, l => l.StartsWith("calibration:", StringComparison.Ordinal));
        if (start >= 0)
        {
            var length = 1;
            while (start + length < end && lines[start + length].StartsWith(' '))
            {
                length++;
            }
            lines.RemoveRange(start, length);
        }
        else
        {
            var passPoints = lines.FindIndex(1, end - 1, l => l.StartsWith("pass_points:", StringComparison.Ordinal));
            start = passPoints >= 0 ? passPoints + 1 : end;
        }
        lines.InsertRange(start, block);
        var temporary = assignmentFile + ".tmp";
        File.WriteAllLines(temporary, lines);
        File.Move(temporary, assignmentFile, overwrite: true);
    }
}
