// Turns Help/<Verb-Noun>.md into MAML. Compiled by MSBuild's RoslynCodeTaskFactory (not part of MemMgmt.PS.dll).
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Xml.Linq;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public class MemMgmtHelpGen : Task
{
    [Required] public ITaskItem[] Sources { get; set; }
    [Required] public string OutputFile { get; set; }

    static readonly XNamespace Msh = "http://msh";
    static readonly XNamespace Maml = "http://schemas.microsoft.com/maml/2004/10";
    static readonly XNamespace Cmd = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    static readonly XNamespace Dev = "http://schemas.microsoft.com/maml/dev/2004/10";

    sealed class Utf8StringWriter : StringWriter { public override Encoding Encoding => new UTF8Encoding(false); }

    sealed class Param
    {
        public string Name, Type, Default = "None";
        public bool Required, Wildcards, ByValue, ByProperty;
        public string Position = "named";
        public List<string> Sets = new List<string>();
        public List<string> Paras = new List<string>();
    }

    sealed class Section { public string Title; public List<string> Lines = new List<string>(); }

    public override bool Execute()
    {
        var root = new XElement(Msh + "helpItems", new XAttribute("schema", "maml"));
        foreach (var item in Sources.OrderBy(s => s.ItemSpec, StringComparer.Ordinal))
        {
            try { root.Add(Command(item.ItemSpec)); }
            catch (Exception e) { Log.LogError("{0}: {1}", item.ItemSpec, e.Message); }
        }
        if (Log.HasLoggedErrors) return false;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(OutputFile)));
        var doc = new XDocument(new XDeclaration("1.0", "utf-8", null), root);
        string text;
        using (var sw = new Utf8StringWriter()) { doc.Save(sw); text = sw.ToString(); }
        if (!File.Exists(OutputFile) || File.ReadAllText(OutputFile) != text)
            File.WriteAllText(OutputFile, text, new UTF8Encoding(false));
        return true;
    }

    static List<Section> Split(IEnumerable<string> lines, string marker)
    {
        var list = new List<Section>();
        Section cur = null;
        bool inCode = false;
        foreach (var line in lines)
        {
            if (line.TrimStart().StartsWith("```")) inCode = !inCode;
            if (!inCode && line.StartsWith(marker + " ")) { cur = new Section { Title = line.Substring(marker.Length + 1).Trim() }; list.Add(cur); continue; }
            if (cur != null) cur.Lines.Add(line);
        }
        return list;
    }

    /// <summary>Blank-line separated paragraphs; a line starting with "- " starts a new paragraph.</summary>
    static List<string> Paras(IEnumerable<string> lines)
    {
        var paras = new List<string>();
        var cur = new StringBuilder();
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith("- "))
            {
                if (cur.Length > 0) { paras.Add(cur.ToString()); cur.Clear(); }
                if (line.Length == 0) continue;
            }
            if (cur.Length > 0) cur.Append(' ');
            cur.Append(line);
        }
        if (cur.Length > 0) paras.Add(cur.ToString());
        return paras;
    }

    static IEnumerable<XElement> ParaElements(IEnumerable<string> paras)
    {
        var list = paras.ToList();
        if (list.Count == 0) list.Add("");
        return list.Select(p => new XElement(Maml + "para", p));
    }

    static XElement Description(IEnumerable<string> paras) => new XElement(Maml + "description", ParaElements(paras));

    XElement Command(string path)
    {
        var lines = File.ReadAllLines(path);
        var title = lines.FirstOrDefault(l => l.StartsWith("# "));
        if (title == null) throw new Exception("missing '# Verb-Noun' title");
        string name = title.Substring(2).Trim();
        string expected = Path.GetFileNameWithoutExtension(path);
        if (!string.Equals(name, expected, StringComparison.OrdinalIgnoreCase)) throw new Exception($"title '{name}' does not match the file name");
        int dash = name.IndexOf('-');
        var sections = Split(lines, "##").ToDictionary(s => s.Title.ToUpperInvariant(), s => s.Lines);
        List<string> Get(string key) => sections.TryGetValue(key, out var l) ? l : new List<string>();

        var synopsis = Paras(Get("SYNOPSIS"));
        var description = Paras(Get("DESCRIPTION"));
        if (synopsis.Count == 0) throw new Exception("empty SYNOPSIS");
        if (description.Count == 0) throw new Exception("empty DESCRIPTION");

        var parameters = new List<Param>();
        foreach (var s in Split(Get("PARAMETERS"), "###"))
        {
            var head = s.Title;
            int lt = head.IndexOf('<');
            if (!head.StartsWith("-") || lt < 0 || !head.EndsWith(">")) throw new Exception($"parameter heading '{head}' must read '-Name <Type>'");
            var p = new Param { Name = head.Substring(1, lt - 1).Trim(), Type = head.Substring(lt + 1, head.Length - lt - 2).Trim() };
            var body = s.Lines.ToList();
            int at = body.FindIndex(l => l.Trim().StartsWith("@"));
            if (at >= 0)
            {
                foreach (var part in body[at].Trim().Substring(1).Split(';').Select(x => x.Trim()).Where(x => x.Length > 0))
                {
                    int eq = part.IndexOf('=');
                    string key = eq < 0 ? part : part.Substring(0, eq).Trim();
                    string val = eq < 0 ? "" : part.Substring(eq + 1).Trim();
                    switch (key)
                    {
                        case "Required": p.Required = true; break;
                        case "Wildcards": p.Wildcards = true; break;
                        case "Position": p.Position = val; break;
                        case "Default": p.Default = val; break;
                        case "Sets": p.Sets.AddRange(val.Split(',').Select(x => x.Trim())); break;
                        case "Pipeline":
                            foreach (var v in val.Split(',').Select(x => x.Trim()))
                            {
                                if (v == "ByValue") p.ByValue = true;
                                else if (v == "ByPropertyName") p.ByProperty = true;
                                else throw new Exception($"-{p.Name}: unknown pipeline kind '{v}'");
                            }
                            break;
                        default: throw new Exception($"-{p.Name}: unknown attribute '{key}'");
                    }
                }
                body.RemoveAt(at);
            }
            p.Paras = Paras(body);
            if (p.Paras.Count == 0) throw new Exception($"-{p.Name} has no description");
            parameters.Add(p);
        }

        string Pipeline(Param p) => p.ByValue && p.ByProperty ? "True (ByValue, ByPropertyName)" : p.ByValue ? "True (ByValue)" : p.ByProperty ? "True (ByPropertyName)" : "False";
        bool IsSwitch(Param p) => p.Type == "SwitchParameter";
        XElement ParamElement(Param p, bool inSyntax)
        {
            var e = new XElement(Cmd + "parameter",
                new XAttribute("required", p.Required ? "true" : "false"),
                new XAttribute("variableLength", p.Type.EndsWith("[]") ? "true" : "false"),
                new XAttribute("globbing", p.Wildcards ? "true" : "false"),
                new XAttribute("pipelineInput", Pipeline(p)),
                new XAttribute("position", p.Position),
                new XAttribute("aliases", "none"),
                new XElement(Maml + "name", p.Name));
            if (!inSyntax) e.Add(Description(p.Paras));
            if (!inSyntax || !IsSwitch(p))
                e.Add(new XElement(Cmd + "parameterValue", new XAttribute("required", IsSwitch(p) ? "false" : "true"),
                    new XAttribute("variableLength", p.Type.EndsWith("[]") ? "true" : "false"), p.Type));
            e.Add(new XElement(Dev + "type", new XElement(Maml + "name", p.Type), new XElement(Maml + "uri")));
            e.Add(new XElement(Dev + "defaultValue", p.Default));
            return e;
        }

        var setNames = parameters.SelectMany(p => p.Sets).Distinct().ToList();
        if (setNames.Count == 0) setNames.Add("");
        var syntax = new XElement(Cmd + "syntax");
        foreach (var set in setNames)
        {
            var item = new XElement(Cmd + "syntaxItem", new XElement(Maml + "name", name));
            var inSet = parameters.Where(p => set == "" || p.Sets.Count == 0 || p.Sets.Contains(set)).ToList();
            var ordered = inSet.Where(p => p.Position != "named").OrderBy(p => int.Parse(p.Position))
                .Concat(inSet.Where(p => p.Position == "named"));
            foreach (var p in ordered) item.Add(ParamElement(p, true));
            syntax.Add(item);
        }

        XElement TypeList(string key, XName listName, XName itemName) =>
            new XElement(listName, Split(Get(key), "###").Select(s => new XElement(itemName,
                new XElement(Dev + "type", new XElement(Maml + "name", s.Title), new XElement(Maml + "uri")),
                Description(Paras(s.Lines)))));

        var examples = new XElement(Cmd + "examples");
        int n = 0;
        foreach (var s in Split(Get("EXAMPLES"), "###"))
        {
            n++;
            var code = new List<string>();
            var remarks = new List<string>();
            bool inCode = false, seenCode = false;
            foreach (var line in s.Lines)
            {
                if (line.TrimStart().StartsWith("```")) { inCode = !inCode; seenCode = true; continue; }
                if (inCode) code.Add(line);
                else if (seenCode) remarks.Add(line);
            }
            if (code.Count == 0) throw new Exception($"example '{s.Title}' has no code block");
            examples.Add(new XElement(Cmd + "example",
                new XElement(Maml + "title", $"-------------------------- {s.Title} --------------------------"),
                new XElement(Dev + "code", string.Join("\n", code)),
                new XElement(Dev + "remarks", ParaElements(Paras(remarks)))));
        }
        if (n < 2) throw new Exception("needs at least two examples");

        var links = new XElement(Maml + "relatedLinks");
        foreach (var l in Get("RELATED LINKS").Select(x => x.Trim()).Where(x => x.StartsWith("- ")))
            links.Add(new XElement(Maml + "navigationLink", new XElement(Maml + "linkText", l.Substring(2).Trim()), new XElement(Maml + "uri")));

        return new XElement(Cmd + "command",
            new XAttribute(XNamespace.Xmlns + "maml", Maml),
            new XAttribute(XNamespace.Xmlns + "command", Cmd),
            new XAttribute(XNamespace.Xmlns + "dev", Dev),
            new XElement(Cmd + "details",
                new XElement(Cmd + "name", name),
                new XElement(Cmd + "verb", dash > 0 ? name.Substring(0, dash) : name),
                new XElement(Cmd + "noun", dash > 0 ? name.Substring(dash + 1) : ""),
                Description(synopsis)),
            Description(description),
            syntax,
            new XElement(Cmd + "parameters", parameters.Select(p => ParamElement(p, false))),
            TypeList("INPUTS", Cmd + "inputTypes", Cmd + "inputType"),
            TypeList("OUTPUTS", Cmd + "returnValues", Cmd + "returnValue"),
            new XElement(Maml + "alertSet", new XElement(Maml + "alert", ParaElements(Paras(Get("NOTES"))))),
            examples,
            links);
    }
}
