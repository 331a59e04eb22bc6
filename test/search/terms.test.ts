// The search tokenizer (src/search/terms.ts) on real text in each script.
import t from 'tap'
import { indexTerms, lookupTerms, matchSpans, normalise, parseQuery } from '../../src/search/terms.ts'

const spans = (q: string, text: string) => matchSpans(parseQuery(q), text)
const marked = (q: string, text: string) => {
  const cps = [...text]
  return (spans(q, text) ?? []).map(([a, b]) => cps.slice(a, b).join(''))
}
/** Every lookup term of the query is among the text's index terms (prefix or exact). */
const indexFinds = (q: string, text: string) => {
  const terms = indexTerms(text)
  return lookupTerms(parseQuery(q)).every((l) =>
    terms.some((x) => (l.prefix ? x.startsWith(l.value) : x === l.value)),
  )
}

t.test('normalise: NFKC, case fold, accents stripped outside CJK', async (t) => {
  t.equal(normalise('Café ÉTÉ'), 'cafe ete')
  t.equal(normalise('Cafe\u0301'), 'cafe', 'a combining accent')
  t.equal(normalise('ＡＢＣ１２３'), 'abc123', 'fullwidth forms')
  t.equal(normalise('Straße'), 'strasse')
  t.equal(normalise('ΟΔΟΣ'), 'οδοσ', 'Greek final sigma folds with sigma')
  t.equal(normalise('ｶﾀｶﾅ'), 'カタカナ', 'halfwidth katakana')
  t.equal(normalise('がぎ'), 'がぎ', 'kana voicing marks are kept')
  t.equal(normalise('한국어'), '한국어', 'Hangul syllables recompose')
})

t.test('index terms: words, CJK bigrams and the last character of each run', async (t) => {
  t.same(indexTerms('Hello, World!'), ['hello', 'world'])
  t.same(indexTerms('我们在聊天室见'), ['我们', '们在', '在聊', '聊天', '天室', '室见', '见'])
  t.same(indexTerms('在chat里'), ['在', 'chat', '里'])
  t.same(indexTerms('🎉🎉 party'), ['party'], 'emoji are not terms')
  t.same(indexTerms('x'.repeat(100)), ['x'.repeat(64)], 'a long word by its prefix')
})

t.test('Latin: word prefixes, case- and accent-insensitive', async (t) => {
  t.same(marked('café', 'Meet at the Cafeteria'), ['Cafe'])
  t.same(marked('cafe', 'Un café crème'), ['café'])
  t.same(marked('CAFÉ', 'cafe\u0301 au lait'), ['cafe\u0301'])
  t.equal(spans('feteria', 'Meet at the Cafeteria'), null, 'not inside a word')
  t.equal(spans('tea coffee', 'tea time'), null, 'every term must match')
  t.same(marked('straße', 'STRASSE 5'), ['STRASSE'])
})

t.test('Cyrillic and Greek', async (t) => {
  t.same(marked('привет', 'Привет, мир'), ['Привет'])
  t.same(marked('ёж', 'Ёжик в тумане'), ['Ёж'], 'ё is е with a diaeresis: folded like an accent')
  t.same(marked('καλη', 'Καλημέρα κόσμε'), ['Καλη'])
})

t.test('Chinese: any sequence of characters, mixed with English', async (t) => {
  const text = '我们在聊天室见，then grab 咖啡'
  t.same(marked('聊天', text), ['聊天'])
  t.same(marked('们在聊', text), ['们在聊'])
  t.same(marked('见', text), ['见'], 'one character, at the end of a run')
  t.same(marked('聊', text), ['聊'], 'one character, inside a run')
  t.same(marked('聊天 grab', text), ['聊天', 'grab'])
  t.equal(spans('天聊', text), null, 'the order matters')
  t.same(marked('室见then', text), ['室见', 'then'], 'a run and a word typed together are two terms')
  t.equal(spans('聊室', '聊 室'), null, 'a CJK run does not match across a separator')
  t.ok(indexFinds('们在聊', text))
  t.ok(indexFinds('见', text))
  t.ok(indexFinds('聊', text))
  t.same(marked('咖啡', '咖啡咖啡'), ['咖啡', '咖啡'], 'one span per occurrence')
  t.same(spans('咖啡', '咖啡 and 咖啡'), [
    [0, 2],
    [7, 9],
  ])
})

t.test('Japanese: kana and kanji', async (t) => {
  const text = '東京でラーメンを食べました'
  t.same(marked('ラーメン', text), ['ラーメン'])
  t.same(marked('食べ', text), ['食べ'])
  t.same(marked('東京', text), ['東京'])
  t.equal(spans('かべ', 'がべ'), null, 'か is not が')
  t.same(marked('ｶﾀｶﾅ', 'カタカナです'), ['カタカナ'], 'halfwidth query, fullwidth text')
  t.ok(indexFinds('ラーメン', text))
})

t.test('Korean', async (t) => {
  const text = '오늘 회의는 세시에 시작합니다'
  t.same(marked('회의', text), ['회의'])
  t.same(marked('시작', text), ['시작'])
  t.equal(spans('회시', text), null)
  t.ok(indexFinds('세시에', text))
})

t.test('emoji and astral characters: offsets are code points', async (t) => {
  const text = '🎉🎉 party at 𠮷野家'
  t.same(spans('party', text), [[3, 8]])
  t.same(marked('𠮷野', text), ['𠮷野'])
})

t.test('phrases', async (t) => {
  t.same(marked('"new york"', 'I love New York city'), ['New York'])
  t.equal(spans('"york new"', 'I love New York city'), null)
  t.same(marked('"new yo"', 'New York'), ['New Yo'], 'the last word of a phrase is a prefix')
  t.equal(spans('"ne york"', 'New York'), null, 'the others are whole words')
  t.same(marked('"聊天 room', '来聊天 room'), ['聊天 room'], 'an unclosed quote runs to the end')
  t.same(lookupTerms(parseQuery('"new york" 聊天')), [
    { value: 'new', prefix: false },
    { value: 'york', prefix: true },
    { value: '聊天', prefix: false },
  ])
})

t.test('a query of no terms matches nothing', async (t) => {
  t.same(parseQuery('🎉 ... ""').groups, [])
  t.equal(spans('🎉', '🎉'), null)
})
