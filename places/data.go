package places

// The gazetteer: Cambodia's 25 provinces (24 and the capital, Phnom Penh,
// Tboung Khmum included) and Thailand's 77 (76 and Bangkok).
//
// Sources, read in December 2026 (public data, cross-checked where two
// agreed; where they differed both spellings are kept as aliases):
//
// Cambodia
//   - English and Khmer names, numbering (the ISO 3166-2:KH numbers):
//     github.com/sambatlim/khmer-name-generator lib/address/province.js
//     (commit a06fd91d; all 25 Khmer names here are its own, compared by
//     script),
//     checked against github.com/endotsuki/visit-place
//     client/lib/provinces.ts and Wikipedia's "Provinces of Cambodia"
//     (native names). Kandal is written កណ្ដាល in one, កណ្តាល in the other
//     (the same letters to a reader): matching treats them as one.
//     Ratanakiri is រតនគិរី in one, រតនៈគិរី in the other: both kept.
//   - Thai names: the Thai list "การแบ่งเขตการปกครอง" of Cambodia's
//     provinces (asianfoodofthai.wordpress.com) and Thai Wikipedia
//     (จังหวัดกำปงจาม, ตะโบงคมุม; บันทายเมียนเจย์ on hmong.in.th's
//     พระตะบอง). Svay Rieng and Takeo had no Thai name in what was read: a
//     Thai report shows their English name.
//   - Capitals' coordinates: the cities of the countries-states-cities
//     database as published in github.com/VannaDii/pub-dev
//     geography/lib/src/countries/cambodia_cities.dart (Battambang
//     13.10271 103.19822, Siem Reap 13.36179 103.86056, ...); Kampong
//     Thom's capital (Stung Saen, 12°42′N 104°53′E) from Wikipedia.
//     Spot-checked against Wikipedia's pages of the towns: Koh Kong
//     (11.617 102.983), Pursat (12.533 103.917) and Serei Saophoan
//     (13.583 102.983) agree within a kilometre.
//     Tboung Khmum's capital, Suong, is in neither: it has no point, so a
//     shared location there counts for the nearest other capital
//     (Kampong Cham, Prey Veng) or, beyond 150 km, as not known.
//
// Thailand
//   - Thai and English names: github.com/kongvut/thai-province-data
//     formats/csv/provinces.csv (commit 67a9ea8, 77 rows; every pair here is
//     one of its rows, compared by script).
//   - Capitals' coordinates (the town of each province): the
//     PROVINCE_COORDS table of a public map component found by the
//     project's code search (its repository not named there), checked
//     against the points of each province's capital district (อำเภอเมือง,
//     Bangkok's Phra Nakhon) in github.com/SupanutT/CAP_Yelp-Camp
//     seeds/cities.js (commit a4dcd707): 76 of 77 lie within 26 km of
//     them, half within 2.3 km (a district's point is not its town's);
//     Bueng Kan, a province since 2011, is not in the second source.
//   - Khmer names: only Bangkok's usual Khmer name, បាងកក; a Khmer report
//     shows the other Thai provinces by their English name (which Khmer
//     readers read more often than Thai script).
//
// Aliases are the spellings people type, each from a source: the
// project's brief (Siemreap; Krong Preah Sihanouk, Sihanoukville, Kampong
// Som; Krung Thep, กรุงเทพฯ, กทม.; Chiangmai); the other romanisations
// and provincial towns of the sources above (Mondul Kiri, Mondolkiri,
// Ratanak Kiri, Kracheh, Sisophon, Paoy Paet, Ta Khmau, Banlung, ...);
// Wikipedia pages read for the capitals (Serei Saophoan, Khemarak
// Phoumin, Kompong Thom, Stueng Saen, Suong, Thbong Khmum); the ISO-like
// spellings of github.com/Kitisakdir5/ESP8266GPS77province (Samutprakan,
// Chiangrai, Srisaket, Ayutthaya) and of fusioncharts' Cambodia map
// (Oddar Meancheay). A name written without its spaces (Phnompenh,
// Chonburi) matches without being listed.
var provinces = []Province{
	// Cambodia, in the order of their ISO 3166-2 numbers.
	{Country: Cambodia, English: "Banteay Meanchey", Khmer: "បន្ទាយមានជ័យ", Thai: "บันเตียเมียนเจย", Capital: &Point{13.58588, 102.97369},
		Aliases: []string{"Sisophon", "Serei Saophoan", "บันทายเมียนเจย์", "Paoy Paet"}},
	{Country: Cambodia, English: "Battambang", Khmer: "បាត់ដំបង", Thai: "พระตะบอง", Capital: &Point{13.10271, 103.19822}},
	{Country: Cambodia, English: "Kampong Cham", Khmer: "កំពង់ចាម", Thai: "กำปงจาม", Capital: &Point{11.98, 105.445}},
	{Country: Cambodia, English: "Kampong Chhnang", Khmer: "កំពង់ឆ្នាំង", Thai: "กำปงชนัง", Capital: &Point{12.26, 104.67}},
	{Country: Cambodia, English: "Kampong Speu", Khmer: "កំពង់ស្ពឺ", Thai: "กำปงสปือ", Capital: &Point{11.45332, 104.52085},
		Aliases: []string{"Chbar Mon"}},
	{Country: Cambodia, English: "Kampong Thom", Khmer: "កំពង់ធំ", Thai: "กำปงธม", Capital: &Point{12.70, 104.883},
		Aliases: []string{"Kompong Thom", "Stung Saen", "Stueng Saen"}},
	{Country: Cambodia, English: "Kampot", Khmer: "កំពត", Thai: "กำปอด", Capital: &Point{10.61041, 104.18145}},
	{Country: Cambodia, English: "Kandal", Khmer: "កណ្ដាល", Thai: "กันดาล", Capital: &Point{11.48333, 104.95},
		Aliases: []string{"Ta Khmau"}},
	{Country: Cambodia, English: "Koh Kong", Khmer: "កោះកុង", Thai: "เกาะกง", Capital: &Point{11.61531, 102.9838},
		Aliases: []string{"Khemarak Phoumin"}},
	{Country: Cambodia, English: "Kratie", Khmer: "ក្រចេះ", Thai: "กระแจะ", Capital: &Point{12.48811, 106.01879},
		Aliases: []string{"Kracheh", "Kratié"}},
	{Country: Cambodia, English: "Mondulkiri", Khmer: "មណ្ឌលគិរី", Thai: "มณฑลคีรี", Capital: &Point{12.45583, 107.18811},
		Aliases: []string{"Mondul Kiri", "Mondolkiri", "Sen Monorom"}},
	{Country: Cambodia, English: "Phnom Penh", Khmer: "ភ្នំពេញ", Thai: "พนมเปญ", Capital: &Point{11.56245, 104.91601}},
	{Country: Cambodia, English: "Preah Vihear", Khmer: "ព្រះវិហារ", Thai: "พระวิหาร", Capital: &Point{13.80731, 104.98046},
		Aliases: []string{"Tbeng Meanchey"}},
	{Country: Cambodia, English: "Prey Veng", Khmer: "ព្រៃវែង", Thai: "เปรยแวง", Capital: &Point{11.48682, 105.32533}},
	{Country: Cambodia, English: "Pursat", Khmer: "ពោធិ៍សាត់", Thai: "โพธิสัตว์", Capital: &Point{12.53878, 103.9192}},
	{Country: Cambodia, English: "Ratanakiri", Khmer: "រតនគិរី", Thai: "รัตนคีรี", Capital: &Point{13.73939, 106.98727},
		Aliases: []string{"Ratanak Kiri", "រតនៈគិរី", "Banlung"}},
	{Country: Cambodia, English: "Siem Reap", Khmer: "សៀមរាប", Thai: "เสียมราฐ", Capital: &Point{13.36179, 103.86056},
		Aliases: []string{"Siemreap"}},
	{Country: Cambodia, English: "Preah Sihanouk", Khmer: "ព្រះសីហនុ", Thai: "สีหนุวิลล์", Capital: &Point{10.60932, 103.52958},
		Aliases: []string{"Krong Preah Sihanouk", "Sihanoukville", "Kampong Som", "กำปงโสม"}},
	{Country: Cambodia, English: "Stung Treng", Khmer: "ស្ទឹងត្រែង", Thai: "สตึงแตรง", Capital: &Point{13.52586, 105.9683},
		Aliases: []string{"Stueng Traeng"}},
	{Country: Cambodia, English: "Svay Rieng", Khmer: "ស្វាយរៀង", Capital: &Point{11.08785, 105.79935}},
	{Country: Cambodia, English: "Takeo", Khmer: "តាកែវ", Capital: &Point{10.99081, 104.78498},
		Aliases: []string{"Doun Kaev"}},
	{Country: Cambodia, English: "Oddar Meanchey", Khmer: "ឧត្ដរមានជ័យ", Thai: "อุดรมีชัย", Capital: &Point{14.18175, 103.51761},
		Aliases: []string{"Oddar Meancheay"}},
	{Country: Cambodia, English: "Kep", Khmer: "កែប", Thai: "แกบ", Capital: &Point{10.48291, 104.31672},
		Aliases: []string{"Krong Kep"}},
	{Country: Cambodia, English: "Pailin", Khmer: "ប៉ៃលិន", Thai: "ไพลิน", Capital: &Point{12.84895, 102.60928}},
	{Country: Cambodia, English: "Tboung Khmum", Khmer: "ត្បូងឃ្មុំ", Thai: "ตะโบงคมุม",
		Aliases: []string{"Tbong Khmum", "Thbong Khmum", "Suong"}},

	// Thailand, in the order of kongvut/thai-province-data.
	{Country: Thailand, English: "Bangkok", Thai: "กรุงเทพมหานคร", Khmer: "បាងកក", Capital: &Point{13.7563, 100.5018},
		Aliases: []string{"Krung Thep", "กรุงเทพ", "กรุงเทพฯ", "กทม."}},
	{Country: Thailand, English: "Samut Prakan", Thai: "สมุทรปราการ", Capital: &Point{13.5991, 100.5998}, Aliases: []string{"Samutprakan"}},
	{Country: Thailand, English: "Nonthaburi", Thai: "นนทบุรี", Capital: &Point{13.8622, 100.5144}},
	{Country: Thailand, English: "Pathum Thani", Thai: "ปทุมธานี", Capital: &Point{14.0208, 100.5253}},
	{Country: Thailand, English: "Phra Nakhon Si Ayutthaya", Thai: "พระนครศรีอยุธยา", Capital: &Point{14.3692, 100.5877}, Aliases: []string{"Ayutthaya"}},
	{Country: Thailand, English: "Ang Thong", Thai: "อ่างทอง", Capital: &Point{14.5896, 100.4549}},
	{Country: Thailand, English: "Lopburi", Thai: "ลพบุรี", Capital: &Point{14.7995, 100.6534}},
	{Country: Thailand, English: "Sing Buri", Thai: "สิงห์บุรี", Capital: &Point{14.8936, 100.3967}},
	{Country: Thailand, English: "Chai Nat", Thai: "ชัยนาท", Capital: &Point{15.1851, 100.1251}},
	{Country: Thailand, English: "Saraburi", Thai: "สระบุรี", Capital: &Point{14.5289, 100.9101}},
	{Country: Thailand, English: "Chon Buri", Thai: "ชลบุรี", Capital: &Point{13.3611, 100.9847}},
	{Country: Thailand, English: "Rayong", Thai: "ระยอง", Capital: &Point{12.6814, 101.2816}},
	{Country: Thailand, English: "Chanthaburi", Thai: "จันทบุรี", Capital: &Point{12.6113, 102.1037}},
	{Country: Thailand, English: "Trat", Thai: "ตราด", Capital: &Point{12.2428, 102.5176}},
	{Country: Thailand, English: "Chachoengsao", Thai: "ฉะเชิงเทรา", Capital: &Point{13.6904, 101.0779}},
	{Country: Thailand, English: "Prachin Buri", Thai: "ปราจีนบุรี", Capital: &Point{14.0509, 101.3717}},
	{Country: Thailand, English: "Nakhon Nayok", Thai: "นครนายก", Capital: &Point{14.2069, 101.2133}},
	{Country: Thailand, English: "Sa Kaeo", Thai: "สระแก้ว", Capital: &Point{13.8241, 102.0645}},
	{Country: Thailand, English: "Nakhon Ratchasima", Thai: "นครราชสีมา", Capital: &Point{14.9799, 102.0978}},
	{Country: Thailand, English: "Buri Ram", Thai: "บุรีรัมย์", Capital: &Point{14.9930, 103.1029}},
	{Country: Thailand, English: "Surin", Thai: "สุรินทร์", Capital: &Point{14.8820, 103.4937}},
	{Country: Thailand, English: "Si Sa Ket", Thai: "ศรีสะเกษ", Capital: &Point{15.1186, 104.3220}, Aliases: []string{"Srisaket"}},
	{Country: Thailand, English: "Ubon Ratchathani", Thai: "อุบลราชธานี", Capital: &Point{15.2287, 104.8564}},
	{Country: Thailand, English: "Yasothon", Thai: "ยโสธร", Capital: &Point{15.7944, 104.1451}},
	{Country: Thailand, English: "Chaiyaphum", Thai: "ชัยภูมิ", Capital: &Point{15.8068, 102.0317}},
	{Country: Thailand, English: "Amnat Charoen", Thai: "อำนาจเจริญ", Capital: &Point{15.8656, 104.6258}},
	{Country: Thailand, English: "Nong Bua Lam Phu", Thai: "หนองบัวลำภู", Capital: &Point{17.2042, 102.4260}},
	{Country: Thailand, English: "Khon Kaen", Thai: "ขอนแก่น", Capital: &Point{16.4419, 102.8360}},
	{Country: Thailand, English: "Udon Thani", Thai: "อุดรธานี", Capital: &Point{17.4156, 102.7872}},
	{Country: Thailand, English: "Loei", Thai: "เลย", Capital: &Point{17.4860, 101.7223}},
	{Country: Thailand, English: "Nong Khai", Thai: "หนองคาย", Capital: &Point{17.8782, 102.7420}},
	{Country: Thailand, English: "Maha Sarakham", Thai: "มหาสารคาม", Capital: &Point{16.1851, 103.3008}},
	{Country: Thailand, English: "Roi Et", Thai: "ร้อยเอ็ด", Capital: &Point{16.0538, 103.6520}},
	{Country: Thailand, English: "Kalasin", Thai: "กาฬสินธุ์", Capital: &Point{16.4322, 103.5061}},
	{Country: Thailand, English: "Sakon Nakhon", Thai: "สกลนคร", Capital: &Point{17.1545, 104.1348}},
	{Country: Thailand, English: "Nakhon Phanom", Thai: "นครพนม", Capital: &Point{17.3920, 104.7695}},
	{Country: Thailand, English: "Mukdahan", Thai: "มุกดาหาร", Capital: &Point{16.5424, 104.7233}},
	{Country: Thailand, English: "Chiang Mai", Thai: "เชียงใหม่", Capital: &Point{18.7883, 98.9853}, Aliases: []string{"Chiangmai"}},
	{Country: Thailand, English: "Lamphun", Thai: "ลำพูน", Capital: &Point{18.5744, 99.0087}},
	{Country: Thailand, English: "Lampang", Thai: "ลำปาง", Capital: &Point{18.2888, 99.4907}},
	{Country: Thailand, English: "Uttaradit", Thai: "อุตรดิตถ์", Capital: &Point{17.6200, 100.0993}},
	{Country: Thailand, English: "Phrae", Thai: "แพร่", Capital: &Point{18.1445, 100.1403}},
	{Country: Thailand, English: "Nan", Thai: "น่าน", Capital: &Point{18.7756, 100.7730}},
	{Country: Thailand, English: "Phayao", Thai: "พะเยา", Capital: &Point{19.1664, 99.9019}},
	{Country: Thailand, English: "Chiang Rai", Thai: "เชียงราย", Capital: &Point{19.9105, 99.8406}, Aliases: []string{"Chiangrai"}},
	{Country: Thailand, English: "Mae Hong Son", Thai: "แม่ฮ่องสอน", Capital: &Point{19.3020, 97.9654}},
	{Country: Thailand, English: "Nakhon Sawan", Thai: "นครสวรรค์", Capital: &Point{15.7030, 100.1371}},
	{Country: Thailand, English: "Uthai Thani", Thai: "อุทัยธานี", Capital: &Point{15.3830, 100.0244}},
	{Country: Thailand, English: "Kamphaeng Phet", Thai: "กำแพงเพชร", Capital: &Point{16.4827, 99.5226}},
	{Country: Thailand, English: "Tak", Thai: "ตาก", Capital: &Point{16.8840, 99.1258}},
	{Country: Thailand, English: "Sukhothai", Thai: "สุโขทัย", Capital: &Point{17.0076, 99.8231}},
	{Country: Thailand, English: "Phitsanulok", Thai: "พิษณุโลก", Capital: &Point{16.8211, 100.2659}},
	{Country: Thailand, English: "Phichit", Thai: "พิจิตร", Capital: &Point{16.4429, 100.3486}},
	{Country: Thailand, English: "Phetchabun", Thai: "เพชรบูรณ์", Capital: &Point{16.4190, 101.1591}},
	{Country: Thailand, English: "Ratchaburi", Thai: "ราชบุรี", Capital: &Point{13.5283, 99.8134}},
	{Country: Thailand, English: "Kanchanaburi", Thai: "กาญจนบุรี", Capital: &Point{14.0227, 99.5328}},
	{Country: Thailand, English: "Suphan Buri", Thai: "สุพรรณบุรี", Capital: &Point{14.4744, 100.1177}},
	{Country: Thailand, English: "Nakhon Pathom", Thai: "นครปฐม", Capital: &Point{13.8199, 100.0645}},
	{Country: Thailand, English: "Samut Sakhon", Thai: "สมุทรสาคร", Capital: &Point{13.5475, 100.2747}},
	{Country: Thailand, English: "Samut Songkhram", Thai: "สมุทรสงคราม", Capital: &Point{13.4094, 100.0023}},
	{Country: Thailand, English: "Phetchaburi", Thai: "เพชรบุรี", Capital: &Point{13.1112, 99.9391}},
	{Country: Thailand, English: "Prachuap Khiri Khan", Thai: "ประจวบคีรีขันธ์", Capital: &Point{11.8126, 99.7957}},
	{Country: Thailand, English: "Nakhon Si Thammarat", Thai: "นครศรีธรรมราช", Capital: &Point{8.4304, 99.9631}},
	{Country: Thailand, English: "Krabi", Thai: "กระบี่", Capital: &Point{8.0863, 98.9063}},
	{Country: Thailand, English: "Phangnga", Thai: "พังงา", Capital: &Point{8.4509, 98.5213}},
	{Country: Thailand, English: "Phuket", Thai: "ภูเก็ต", Capital: &Point{7.8804, 98.3923}},
	{Country: Thailand, English: "Surat Thani", Thai: "สุราษฎร์ธานี", Capital: &Point{9.1382, 99.3217}},
	{Country: Thailand, English: "Ranong", Thai: "ระนอง", Capital: &Point{9.9529, 98.6085}},
	{Country: Thailand, English: "Chumphon", Thai: "ชุมพร", Capital: &Point{10.4930, 99.1800}},
	{Country: Thailand, English: "Songkhla", Thai: "สงขลา", Capital: &Point{7.1896, 100.5945}},
	{Country: Thailand, English: "Satun", Thai: "สตูล", Capital: &Point{6.6238, 100.0675}},
	{Country: Thailand, English: "Trang", Thai: "ตรัง", Capital: &Point{7.5563, 99.6114}},
	{Country: Thailand, English: "Phatthalung", Thai: "พัทลุง", Capital: &Point{7.6167, 100.0740}},
	{Country: Thailand, English: "Pattani", Thai: "ปัตตานี", Capital: &Point{6.8699, 101.2502}},
	{Country: Thailand, English: "Yala", Thai: "ยะลา", Capital: &Point{6.5410, 101.2803}},
	{Country: Thailand, English: "Narathiwat", Thai: "นราธิวาส", Capital: &Point{6.4254, 101.8253}},
	{Country: Thailand, English: "Bueng Kan", Thai: "บึงกาฬ", Capital: &Point{18.3609, 103.6466}},
}
