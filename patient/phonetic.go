package patient

// NYSIIS returns the phonetic code of a name under the New York State
// Identification and Intelligence System algorithm (R. L. Taft, "Name Search
// Techniques", New York State Identification and Intelligence System, 1970),
// following the published rule list: prefix rewrites (MAC, KN, K, PH, PF, SCH),
// suffix rewrites (EE, IE, DT, RT, RD, NT, ND), the letter-by-letter scan
// (vowels to A, EV to AF, Q to G, Z to S, M to N, K to C or N, SCH to SSS, PH to
// FF, H and W absorbed next to vowels, repeated letters collapsed), removal of a
// final S, AY to Y, removal of a final A, and truncation to six characters.
//
// The name is folded first (see Fold), so "Müller" and "Muller" share a code;
// characters other than the letters a to z are ignored. NYSIIS was designed on
// and for personal names and outperforms Soundex on them; like every phonetic
// code it is one signal among several, never proof of identity.
func NYSIIS(name string) string {
	w := make([]byte, 0, len(name))
	for _, r := range Fold(name) {
		if r >= 'a' && r <= 'z' {
			w = append(w, byte(r-'a'+'A'))
		}
	}
	if len(w) == 0 {
		return ""
	}
	w = rewritePrefix(w)
	w = rewriteSuffix(w)
	key := []byte{w[0]}
	for i := 1; i < len(w); i++ {
		scanLetter(w, i)
		if w[i] != key[len(key)-1] {
			key = append(key, w[i])
		}
	}
	if n := len(key); n > 1 && key[n-1] == 'S' {
		key = key[:n-1]
	}
	if n := len(key); n > 1 && key[n-2] == 'A' && key[n-1] == 'Y' {
		key = append(key[:n-2], 'Y')
	}
	if n := len(key); n > 1 && key[n-1] == 'A' {
		key = key[:n-1]
	}
	if len(key) > 6 {
		key = key[:6]
	}
	return string(key)
}

func hasPrefix(w []byte, p string) bool { return len(w) >= len(p) && string(w[:len(p)]) == p }

func hasSuffix(w []byte, s string) bool {
	return len(w) >= len(s) && string(w[len(w)-len(s):]) == s
}

func rewritePrefix(w []byte) []byte {
	for _, r := range [...]struct{ from, to string }{
		{"MAC", "MCC"}, {"KN", "NN"}, {"K", "C"}, {"PH", "FF"}, {"PF", "FF"}, {"SCH", "SSS"},
	} {
		if hasPrefix(w, r.from) {
			copy(w, r.to)
			return w
		}
	}
	return w
}

func rewriteSuffix(w []byte) []byte {
	for _, r := range [...]struct{ from, to string }{
		{"EE", "Y"}, {"IE", "Y"}, {"DT", "D"}, {"RT", "D"}, {"RD", "D"}, {"NT", "D"}, {"ND", "D"},
	} {
		if len(w) > len(r.from) && hasSuffix(w, r.from) {
			return append(w[:len(w)-len(r.from)], r.to...)
		}
	}
	return w
}

func isVowel(c byte) bool { return c == 'A' || c == 'E' || c == 'I' || c == 'O' || c == 'U' }

// scanLetter applies the first scan rule that fits position i, rewriting w in
// place (multi-letter rules rewrite the following positions too).
func scanLetter(w []byte, i int) {
	next := byte(0)
	if i+1 < len(w) {
		next = w[i+1]
	}
	c := w[i]
	switch {
	case c == 'E' && next == 'V':
		w[i], w[i+1] = 'A', 'F'
	case isVowel(c):
		w[i] = 'A'
	case c == 'Q':
		w[i] = 'G'
	case c == 'Z':
		w[i] = 'S'
	case c == 'M':
		w[i] = 'N'
	case c == 'K' && next == 'N':
		w[i] = 'N'
	case c == 'K':
		w[i] = 'C'
	case c == 'S' && next == 'C' && i+2 < len(w) && w[i+2] == 'H':
		w[i+1], w[i+2] = 'S', 'S'
	case c == 'P' && next == 'H':
		w[i], w[i+1] = 'F', 'F'
	case c == 'H' && (!isVowel(w[i-1]) || !isVowel(next)):
		w[i] = w[i-1]
	case c == 'W' && isVowel(w[i-1]):
		w[i] = w[i-1]
	}
}

// JaroWinkler returns the Jaro-Winkler similarity of a and b in [0, 1] (M. A.
// Jaro 1989; W. E. Winkler, "String Comparator Metrics and Enhanced Decision
// Rules in the Fellegi-Sunter Model of Record Linkage", 1990): the Jaro
// similarity boosted by 0.1 per shared leading character, up to four. It
// compares runes, so callers pass folded strings.
func JaroWinkler(a, b string) float64 {
	ra, rb := []rune(a), []rune(b)
	j := jaro(ra, rb)
	prefix := 0
	for prefix < len(ra) && prefix < len(rb) && prefix < 4 && ra[prefix] == rb[prefix] {
		prefix++
	}
	return j + float64(prefix)*0.1*(1-j)
}

func jaro(a, b []rune) float64 {
	if len(a) == 0 && len(b) == 0 {
		return 1
	}
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	window := max(len(a), len(b))/2 - 1
	window = max(window, 0)
	ma, mb := make([]bool, len(a)), make([]bool, len(b))
	matches := 0
	for i := range a {
		lo, hi := max(0, i-window), min(len(b), i+window+1)
		for k := lo; k < hi; k++ {
			if !mb[k] && a[i] == b[k] {
				ma[i], mb[k] = true, true
				matches++
				break
			}
		}
	}
	if matches == 0 {
		return 0
	}
	transpositions, k := 0, 0
	for i := range a {
		if !ma[i] {
			continue
		}
		for !mb[k] {
			k++
		}
		if a[i] != b[k] {
			transpositions++
		}
		k++
	}
	m := float64(matches)
	return (m/float64(len(a)) + m/float64(len(b)) + (m-float64(transpositions)/2)/m) / 3
}
