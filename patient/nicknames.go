package patient

// nicknameGroups lists given names that are commonly used for one another:
// English diminutives and Spanish hypocorisms. The table is the project's own,
// compiled from common usage; it is deliberately small and conservative, since
// every entry makes two different names count as agreeing. Names are folded
// (see Fold).
var nicknameGroups = [][]string{
	{"william", "bill", "billy", "will", "willy", "liam"},
	{"robert", "bob", "bobby", "rob", "robbie", "bert"},
	{"richard", "rick", "ricky", "rich", "dick"},
	{"james", "jim", "jimmy", "jamie"},
	{"john", "jack", "johnny", "jon"},
	{"jonathan", "jon", "jonny"},
	{"margaret", "maggie", "meg", "peggy", "marge"},
	{"elizabeth", "liz", "lizzie", "beth", "betty", "eliza", "lisa"},
	{"katherine", "catherine", "kathryn", "cathryn", "kate", "katie", "kathy", "cathy", "kay"},
	{"jennifer", "jen", "jenny"},
	{"michael", "mike", "mikey", "mickey"},
	{"thomas", "tom", "tommy"},
	{"joseph", "joe", "joey"},
	{"charles", "charlie", "chuck"},
	{"edward", "ed", "eddie", "ted", "ned"},
	{"anthony", "tony"},
	{"daniel", "dan", "danny"},
	{"david", "dave", "davey"},
	{"christopher", "chris", "kit"},
	{"christine", "christina", "chris", "tina"},
	{"matthew", "matt"},
	{"patricia", "pat", "patty", "trish"},
	{"patrick", "pat", "paddy"},
	{"susan", "sue", "susie"},
	{"deborah", "debra", "deb", "debbie"},
	{"alexander", "alex", "sandy", "alejandro", "alejo", "sasha"},
	{"alexandra", "alex", "sandra", "sandy", "sasha"},
	{"benjamin", "ben", "benny"},
	{"samuel", "sam", "sammy"},
	{"samantha", "sam", "sammy"},
	{"nicholas", "nick", "nicky"},
	{"steven", "stephen", "steve"},
	{"andrew", "andy", "drew"},
	{"gregory", "greg"},
	{"timothy", "tim", "timmy"},
	{"kenneth", "ken", "kenny"},
	{"ronald", "ron", "ronnie"},
	{"donald", "don", "donnie"},
	{"barbara", "barb", "babs"},
	{"rebecca", "becky", "becca"},
	{"victoria", "vicky", "tori"},
	{"francisco", "paco", "pancho", "frank"},
	{"francis", "frank", "frankie", "fran"},
	{"jose", "pepe"},
	{"jesus", "chucho", "chuy"},
	{"guadalupe", "lupe", "lupita"},
	{"dolores", "lola"},
	{"ignacio", "nacho"},
	{"enrique", "quique", "henry", "harry", "hank"},
	{"manuel", "manolo", "manny"},
	{"rosario", "charo"},
	{"mercedes", "meche"},
	{"eduardo", "lalo"},
	{"guillermo", "memo"},
	{"roberto", "beto"},
	{"alberto", "beto"},
	{"concepcion", "concha", "conchita"},
	{"antonio", "tono", "toni"},
}

// nicknames maps a folded name to the groups it appears in.
var nicknames = func() map[string][]int {
	m := map[string][]int{}
	for g, names := range nicknameGroups {
		for _, n := range names {
			m[n] = append(m[n], g)
		}
	}
	return m
}()

// Nicknames reports whether the given names a and b are commonly used for
// one another ("William" and "Bill", "José" and "Pepe"). Both are folded first.
func Nicknames(a, b string) bool {
	a, b = Fold(a), Fold(b)
	if a == b {
		return false
	}
	for _, g := range nicknames[a] {
		for _, h := range nicknames[b] {
			if g == h {
				return true
			}
		}
	}
	return false
}
