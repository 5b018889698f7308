# Sourced by run.sh: the table-driven verdict test. For every integer and real
# option of the table (read through the C ABI, stylize_option_at), the cases
#   min, max                     (for an exclusive minimum: min itself, which is
#                                 outside, and min + a little, which is inside)
#   just below min, just above max (integers +-1, reals +-1e-6 relative)
#   nan, inf                     (reals)
# go through each door that spells the option: the CLI (1 iteration, --size 32,
# the 64 px examples), the C ABI (stylize_check on 64x64 sizes), vips (real,
# tiny runs) and GIMP (all cases in one gimp-console batch). A verdict is
#   ok      accepted (a run that has finished a step without an error, as one of
#           1000000 iterations is, counts: refusals come before any work; it is
#           stopped there, or after $LONG s if it shows no step)
#   option  refused, naming the option in that door's spelling (CLI: exit 2,
#           one line "stylize: --flag: ... (see 'stylize help ...')")
#   memory  refused because the run cannot fit in memory
#   n/a     the door's type cannot hold the value (C's uint64 seed of -1)
#   -       the door has no spelling for the option; skip: not in CONTRACT_DOORS
# Out-of-range values must give "option" at every door; in-range values the C
# ABI's verdict (ok, or memory for --size 16384) at every door.
LONG=20
V="$TMP/verdicts"; mkdir -p "$V"

# stepped ERR COMMAND...: runs COMMAND (stderr to ERR) until it exits, or until ERR shows a
# step done ("iteration N/" with N >= 1) or $LONG s pass: then it is killed and the status
# is 124, as timeout's.
stepped() {
    local err="$1"; shift
    : >"$err"
    "$@" 2>>"$err" & local pid=$! end=$((SECONDS + LONG))
    while kill -0 "$pid" 2>/dev/null; do
        if grep -qE 'iteration [1-9][0-9]*/' "$err" || [ $SECONDS -ge $end ]; then
            kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; return 124
        fi
        sleep 0.1
    done
    wait "$pid"
}

# --- the cases, from the table ---------------------------------------------------
"$OPTIONS" list >"$V/table.tsv" || bad "options list failed"
python3 - "$V/table.tsv" >"$V/cases.tsv" <<'PY'
import math, sys
for line in open(sys.argv[1]):
    field, cli, vips, gimp, label, kind, lo, hi, excl, default = line.rstrip("\n").split("\t")
    if kind not in ("integer", "real"):
        continue
    lo, hi, excl = float(lo), float(hi), excl == "1"
    cases = []
    if kind == "integer":
        lo_i, hi_i = int(lo), int(hi)
        if hi_i == 2**64:          # UInt64.max rounds up to 2^64 as a double
            hi_i = 2**64 - 1
        cases += [("min", lo_i, not excl), ("max", hi_i, True), ("below", lo_i - 1, False), ("above", hi_i + 1, False)]
        if excl:
            cases.append(("min+1", lo_i + 1, True))
    else:
        step = lambda v: max(abs(v) * 1e-6, 1e-6)
        cases += [("min", lo, not excl), ("max", hi, True), ("above", hi + step(hi), False)]
        cases.append(("min+", lo + step(lo), True) if excl else ("below", lo - step(lo), False))
        cases += [("nan", math.nan, False), ("inf", math.inf, False)]
    for name, value, inside in cases:
        text = str(value) if isinstance(value, int) else ("nan" if value != value else "inf" if value == math.inf else repr(value))
        print("\t".join([f"{cli}.{name}", cli, field, vips, gimp, label, kind, text, "in" if inside else "out"]))
PY
n_cases=$(wc -l <"$V/cases.tsv")
[ "$n_cases" -ge 30 ] && ok "$n_cases cases from the option table" || bad "only $n_cases cases from the option table"

declare -A CLI_V C_V VIPS_V GIMP_V
door_on() { case " $DOORS " in *" $1 "*) return 0;; esac; return 1; }

# --- CLI -----------------------------------------------------------------------------
# base_args NAME: the tiny run every case is: one iteration at 32 px ending there, less the option
# under test (and for --size, no end size: above the content's 64 px it composes larger, as C does).
base_args() {
    case "$1" in
    size) echo "--iterations 1";;
    iterations|time-limit) echo "--size 32 --output-size 32";;
    output-size) echo "--iterations 1 --size 32";;
    *) echo "--iterations 1 --size 32 --output-size 32";;
    esac
}

# cli_verdict ID FLAG VALUE
cli_verdict() {
    local id="$1" flag="$2" value="$3" args
    read -ra args <<<"$(base_args "$flag")"
    stepped "$V/cli-$id.err" "$BIN" "$CONTENT" "$STYLE" -o "$V/cli-$id.png" --print-every 1 "${args[@]}" "--$flag" "$value" \
        >"$V/cli-$id.out"
    local rc=$? err="$V/cli-$id.err"
    if [ $rc = 0 ] && [ -s "$V/cli-$id.png" ]; then echo ok
    elif [ $rc = 124 ] && ! grep -q '^stylize:' "$err" && grep -qi 'iteration' "$err"; then echo ok
    elif [ $rc = 2 ] && [ "$(wc -l <"$err")" = 1 ] && grep -q -- "--$flag" "$err" && grep -q "(see 'stylize help" "$err"; then echo option
    elif [ $rc = 1 ] && [ "$(wc -l <"$err")" = 1 ] && grep -q "needs about" "$err"; then echo memory
    else echo "rc$rc"; fi
}

# --- vips ----------------------------------------------------------------------------
VIPS_PLUGIN=()
if door_on vips; then
    if vips -l 2>/dev/null | grep -q stylize; then :
    elif [ -f "${VIPS_MODULE_DIR:-$PREFIX/lib/vips-modules-8.14}/vips-stylize.so" ]; then
        VIPS_PLUGIN=(--plugin="${VIPS_MODULE_DIR:-$PREFIX/lib/vips-modules-8.14}/vips-stylize.so")
    else bad "vips: no stylize operation (auto-loaded or in \$VIPS_MODULE_DIR)"; DOORS="${DOORS/vips/}"; fi
fi
# vips_verdict ID NAME VALUE
vips_verdict() {
    local id="$1" name="$2" value="$3" args
    read -ra args <<<"$(base_args "$name")"
    VIPS_PROGRESS=1 stepped "$V/vips-$id.err" vips "${VIPS_PLUGIN[@]}" stylize "$CONTENT" "$STYLE" "$V/vips-$id.png" \
        "${args[@]}" "--$name" "$value" >"$V/vips-$id.out"
    local rc=$? err="$V/vips-$id.err"
    if [ $rc = 0 ] && [ -s "$V/vips-$id.png" ] && ! grep -qi 'warning' "$err"; then echo ok
    elif [ $rc = 124 ] && ! grep -qiE 'error|warning' "$err"; then echo ok
    elif [ $rc != 0 ] && [ $rc -lt 124 ] && grep -q "needs about" "$err"; then echo memory
    elif [ $rc != 0 ] && [ $rc -lt 124 ] && grep -qw -- "$name" "$err"; then echo option
    else echo "rc$rc"; fi
}

# pyvips_verdict ID NAME VALUE: the same through pyvips with a real float (the auto-loaded module).
pyvips_verdict() {
    local id="$1" name="$2" value="$3"
    [ ${#VIPS_PLUGIN[@]} = 0 ] || { echo n/a; return; }  # pyvips sees only the auto-loaded module
    /usr/bin/python3 - "$CONTENT" "$STYLE" "$V/pyvips-$id.png" "$name" "$value" >"$V/pyvips-$id.err" 2>&1 <<'PY'
import sys, pyvips
content, style, out, name, value = sys.argv[1:]
args = {"iterations": 1, "size": 32, name.replace("-", "_"): float(value)}
try:
    pyvips.Image.new_from_file(content).stylize(pyvips.Image.new_from_file(style), **args).write_to_file(out)
    print("ok")
except pyvips.Error as e:
    text = str(e)
    print("option" if f"{name}:" in text else "memory" if "needs about" in text else "error: " + text.replace("\n", " ")[:80])
PY
    tail -n 1 "$V/pyvips-$id.err"
}

# --- GIMP: one batch, the long-running cases last ----------------------------------
gimp_batch() {
    local plugin="${GIMP_PLUGIN_DIR:-$PREFIX/lib/gimp/2.0/plug-ins/stylize}/stylize"
    local system_dir; system_dir="$(pkg-config --variable=gimplibdir gimp-2.0)/plug-ins"
    [ -x "$plugin" ] || plugin="$system_dir/stylize/stylize"
    [ -x "$plugin" ] || { bad "gimp: no plug-in in \$GIMP_PLUGIN_DIR or $system_dir"; return 1; }
    # A throwaway profile whose plug-in path holds GIMP's own plug-ins and
    # exactly this stylize, so an older one installed elsewhere cannot answer.
    export GIMP2_DIRECTORY="$V/gimp-profile"
    for d in brushes dynamics fonts gradients palettes patterns tool-presets mypaint-brushes scripts templates plug-ins/stylize; do
        mkdir -p "$GIMP2_DIRECTORY/$d"
    done
    for p in "$system_dir"/*; do [ "$(basename "$p")" = stylize ] || ln -s "$p" "$GIMP2_DIRECTORY/plug-ins/"; done
    cp "$plugin" "$GIMP2_DIRECTORY/plug-ins/stylize/stylize"
    echo "(plug-in-path \"\${gimp_dir}/plug-ins\")" >"$GIMP2_DIRECTORY/gimprc"
    echo "gimp: plug-in $plugin"

    # Parameters are passed by name (read from the PDB), so a reordered
    # procedure still gets each value where it belongs; these are the defaults.
    local base="(list (cons \"style-file\" \"$STYLE\") (cons \"iterations\" 1) (cons \"size\" 32)
        (cons \"style-weight\" 1e-4) (cons \"preserve-colors\" 0) (cons \"content-weight\" 1.0) (cons \"seed\" 0)
        (cons \"style-drawable\" -1) (cons \"style-scale\" 1.0) (cons \"scales\" 3) (cons \"style2-file\" \"\")
        (cons \"style-blend\" 0.5) (cons \"max-memory\" 0) (cons \"output-size\" 32) (cons \"time-limit\" 0))"
    {
        cat <<EOF
(define (ct-value name img drw alist)
  (cond ((string=? name "run-mode") RUN-NONINTERACTIVE)
        ((string=? name "image") img)
        ((string=? name "drawable") drw)
        (else (let ((p (assoc name alist)))
                (if p (cdr p) (begin (gimp-message (string-append "CT-NOPARAM " name)) (error name)))))))
(define (ct-call img drw alist)
  (let loop ((i (- (nth 6 (gimp-procedural-db-proc-info "plug-in-stylize2")) 1)) (args '()))
    (if (< i 0) (apply plug-in-stylize2 args)
        (loop (- i 1) (cons (ct-value (cadr (gimp-procedural-db-proc-arg "plug-in-stylize2" i)) img drw alist) args)))))
(define (ct-case id name value)
  (gimp-message (string-append "CT-START " id))
  (let* ((img (car (gimp-file-load RUN-NONINTERACTIVE "$CONTENT" "$CONTENT")))
         (drw (car (gimp-image-get-active-drawable img)))
         ; as base_args: a --size case has no end size
         (alist (if (string=? name "size") (cons (cons "output-size" 0) $base) $base))
         (r (catch 'refused (ct-call img drw (cons (cons name value) alist)) 'ok)))
    (gimp-message (string-append "CT-END " id " " (if (eq? r 'ok) "ok" "refused")))
    (gimp-image-delete img)))
EOF
        # Long runs (1000000 iterations) last: the batch is stopped $LONG s into them.
        { awk -F'\t' '$4 != "long"' "$V/gimp-cases.tsv"; awk -F'\t' '$4 == "long"' "$V/gimp-cases.tsv"; } | while IFS=$'\t' read -r id name value long; do
            case "$value" in nan) value="(- (exp 1000) (exp 1000))";; inf) value="(exp 1000)";; esac
            echo "(ct-case \"$id\" \"$name\" $value)"
        done
        echo '(gimp-message "CT-DONE")'
    } >"$V/cases.scm"
    local long_id; long_id="$(awk -F'\t' '$4 == "long" {print $1}' "$V/gimp-cases.tsv" | tail -n 1)"
    setsid timeout 900 gimp-console -i -d -f -b "(load \"$V/cases.scm\")" -b '(gimp-quit 0)' \
        >"$V/gimp.out" 2>"$V/gimp.err" &
    local pid=$! started=""
    while kill -0 "$pid" 2>/dev/null; do
        if [ -n "$long_id" ] && [ -z "$started" ] && grep -q "CT-START $long_id\$" "$V/gimp.err" 2>/dev/null; then started=$SECONDS; fi
        if [ -n "$started" ] && [ $((SECONDS - started)) -ge "$LONG" ]; then
            grep -q "CT-END $long_id " "$V/gimp.err" || echo "$long_id" >"$V/gimp-running"
            kill -TERM -- "-$pid" 2>/dev/null; break
        fi
        sleep 1
    done
    wait "$pid" 2>/dev/null
    grep -q "CT-START" "$V/gimp.err" || { bad "gimp: the batch ran no case (see $V/gimp.err)"; return 1; }
}

# gimp_verdict ID NAME LABEL: from the batch's stderr, the lines between CT-START and CT-END.
gimp_verdict() {
    local id="$1" name="$2" label="$3" msg end
    end="$(grep "CT-END $id " "$V/gimp.err" | awk '{print $NF}')"
    [ -z "$end" ] && [ "$(cat "$V/gimp-running" 2>/dev/null)" = "$id" ] && end=running
    msg="$(awk -v s="CT-START $id" -v e="CT-END $id " 'index($0, e) {exit} f {print} $0 ~ s"$" {f=1}' "$V/gimp.err")"
    printf '%s\n' "$msg" >"$V/gimp-$id.msg"
    if echo "$msg" | grep -q CT-NOPARAM; then echo "param?"
    elif [ "$end" = ok ] || [ "$end" = running ]; then echo ok
    elif [ "$end" = refused ] && echo "$msg" | grep -q "needs about"; then echo memory
    elif [ "$end" = refused ] && echo "$msg" | grep -qiF -e "'$name'" -e "$name:" -e "$name " -e "$label"; then echo option
    elif [ "$end" = refused ]; then echo "unnamed"
    else echo "none"; fi
}

# --- run every door --------------------------------------------------------------
if door_on c; then
    cut -f3,8 "$V/cases.tsv" | tr '\t' ' ' | "$OPTIONS" checks >"$V/c.txt" 2>&1
fi
: >"$V/gimp-cases.tsv"
i=0
while IFS=$'\t' read -r id cli field vips gimp label kind value range; do
    i=$((i + 1))
    if door_on c; then
        line="$(sed -n "${i}p" "$V/c.txt")"
        case "$line" in ok|n/a|memory:*) C_V[$id]="${line%%:*}";; "option $field:"*) C_V[$id]=option;; *) C_V[$id]="?${line:0:30}";; esac
    fi
    door_on cli && CLI_V[$id]="$(cli_verdict "$id" "$cli" "$value" </dev/null)"
    if door_on vips && [ "$vips" != - ]; then
        # vips' own command-line parser wraps a guint64 (-1 becomes 2^64-1), like C cannot hold it: n/a.
        # It also cannot spell NaN or infinity (it fails before the operation runs), so those go through
        # pyvips, which passes the float itself.
        if [ "${C_V[$id]:-}" = n/a ]; then VIPS_V[$id]="n/a"
        elif [ "$value" = nan ] || [ "$value" = inf ]; then VIPS_V[$id]="$(pyvips_verdict "$id" "$vips" "$value" </dev/null)"
        else VIPS_V[$id]="$(vips_verdict "$id" "$vips" "$value" </dev/null)"; fi
    fi
    if door_on gimp && [ "$gimp" != - ]; then
        # GIMP's INT32 parameters cannot hold a value outside 32 bits; nor can
        # the plug-in pass on what stylize_options cannot hold (a seed of -1:
        # its INT32 seed is read as unsigned bits, -1 is seed 4294967295).
        if [ "$kind" = integer ] && { [ "${#value}" -gt 10 ] || [ "${value#-}" -gt 2147483647 ]; }; then GIMP_V[$id]="n/a"
        elif [ "${C_V[$id]:-}" = n/a ]; then GIMP_V[$id]="n/a"
        # A time limit over a minute runs that long: not a case for the one GIMP batch (the
        # other doors run it under timeout); the batch takes one long case, iterations'.
        elif [ "$cli" = time-limit ] && [ "$range" = in ] && awk -v v="$value" 'BEGIN { exit !(v > 60) }'; then GIMP_V[$id]="n/a"
        else
            long=short; [ "$kind" = integer ] && [ "$range" = in ] && [ "$value" -gt 1000 ] && [ "$cli" = iterations ] && long=long
            printf '%s\t%s\t%s\t%s\n' "$id" "$gimp" "$value" "$long" >>"$V/gimp-cases.tsv"
        fi
    fi
done <"$V/cases.tsv"
if door_on gimp && [ -s "$V/gimp-cases.tsv" ] && gimp_batch; then
    while IFS=$'\t' read -r id name value long; do
        label="$(awk -F'\t' -v n="$name" '$4 == n {print $5}' "$V/table.tsv")"
        GIMP_V[$id]="$(gimp_verdict "$id" "$name" "$label")"
    done <"$V/gimp-cases.tsv"
fi

# --- the table and the verdict per case -------------------------------------------
printf '%-24s %-24s %-7s| %-7s %-7s %-7s %-7s\n' case value expect cli c vips gimp
while IFS=$'\t' read -r id cli field vips gimp label kind value range; do
    expect=option
    if [ "$range" = in ]; then expect="${C_V[$id]:-ok}"; [ "$expect" = option ] && expect="ok"; fi
    row=() mismatch=""
    for door in cli c vips gimp; do
        case $door in cli) v="${CLI_V[$id]:-}";; c) v="${C_V[$id]:-}";; vips) v="${VIPS_V[$id]:-}";; gimp) v="${GIMP_V[$id]:-}";; esac
        case $door in cli|c) spelt="$cli";; vips) spelt="$vips";; gimp) spelt="$gimp";; esac
        if ! door_on $door; then v=skip
        elif [ "$spelt" = - ]; then v=-
        elif [ -z "$v" ]; then v=none; mismatch+=" $door=none"
        elif [ "$v" != n/a ] && [ "$v" != "$expect" ]; then mismatch+=" $door=$v"; fi
        row+=("$v")
    done
    printf '%-24s %-24s %-7s| %-7s %-7s %-7s %-7s\n' "$id" "$value" "$expect" "${row[@]}"
    if [ -z "$mismatch" ]; then ok "verdict $id = $value: $expect at every door"
    else bad "verdict $id = $value: expected $expect, got$mismatch (files $V/*-$id.*)"; fi
done <"$V/cases.tsv"
for door in vips gimp; do door_on $door || echo "note: the $door column was skipped (CONTRACT_DOORS=\"$DOORS\")"; done
