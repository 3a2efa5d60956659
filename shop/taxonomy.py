"""The default categories of a gift shop, with the keywords that assign products.

A starting point that ``manage.py categorise_products`` seeds once into the database
(``Category.keywords``); from then on a merchandiser reads and edits the rules in the
admin (Shop > Categories). How keywords match is described in
:class:`shop.algorithms.categories.KeywordRules`: whole words, plural optional, the
most specific keyword wins (an overriding category's first, then more words, then
longer), on a tie the category listed first. Keywords name what a product *is*
(MUG, CUSHION COVER), not its design (SPACEBOY, RETROSPOT), which belongs to many
kinds of product; descriptions no keyword matches are placed by their look-alikes.
"""

from __future__ import annotations

from .algorithms.categories import Rule

# In order of precedence on a tie.
DEFAULT_TAXONOMY: tuple[Rule, ...] = (
    Rule(
        "Christmas",
        (
            "CHRISTMAS", "XMAS", "ADVENT", "ADVENT CALENDAR", "BAUBLE", "SANTA",
            "REINDEER", "SNOWMAN", "NATIVITY", "STOCKING", "NOEL", "TINSEL", "SLEIGH",
            "TREE DECORATION", "TREE TOPPER", "CHRISTMAS CRACKER", "YULETIDE",
            "GINGERBREAD MAN",
        ),
        overrides=True,
    ),
    Rule(
        "Easter",
        (
            "EASTER", "EGG HUNT", "EASTER EGG",
        ),
        weak=(
            "CHICK", "HANGING EGG", "SPRING FLOWER EGG", "EGG HOUSE",
        ),
        overrides=True,
    ),
    Rule(
        "Candles & T-light holders",
        (
            "T-LIGHT", "T-LIGHT HOLDER", "TLIGHT", "TEALIGHT", "TEALIGHT HOLDER",
            "TEA LIGHT", "LIGHT HOLDER", "CANDLE", "CANDLESTICK", "CANDLEHOLDER",
            "CANDLE HOLDER", "CANDLEPOT", "CANDLE POT", "LANTERN", "VOTIVE", "INCENSE",
            "OIL BURNER", "FRAGRANCE OIL", "SCENTED SACHET",
        ),
    ),
    Rule(
        "Lights & lamps",
        (
            "LIGHTS", "FAIRY LIGHTS", "LIGHT CHAIN", "STRING LIGHTS", "LAMP",
            "LAMPSHADE", "LAMP SHADE", "TABLE LAMP", "NIGHT LIGHT", "TABLE LIGHT",
            "BEDSIDE LIGHT", "LED", "TORCH", "CHANDELIER", "LIGHTBULB", "LIGHT BULB",
        ),
        weak=(
            "BULB", "SHADE", "UBO-LIGHT",
        ),
    ),
    Rule(
        "Home decorations",
        (
            "DECORATION", "HANGING HEART", "WICKER HEART", "HEART OF WICKER",
            "FELT HEART", "QUILTED HEART", "GARLAND", "WREATH", "ORNAMENT", "MOBILE",
            "WIND CHIME", "WINDCHIME", "ARTIFICIAL FLOWER", "ART FLOWER", "FLYING DUCK",
            "WICKER STAR", "HANGING JEWEL", "TOADSTOOL", "WOOD LETTERS",
            "BLOCK LETTERS", "BUILDING BLOCK WORD", "SCENTED HEART", "FABRIC HEART",
            "VASE", "ORNAMENTAL", "ACRYLIC JEWEL",
        ),
        weak=(
            "HEART", "STAR", "BIRD", "BUTTERFLY", "FLOWER", "BELL", "HANGING", "BUNNY",
            "RABBIT", "HEN", "CHICKEN", "OWL", "MUSHROOM", "BUDDHA", "CAT", "DOG",
            "ANGEL", "DOVE", "FEATHER", "CLOCHE", "CERAMIC BALL", "DAISY", "DEC",
            "CHIME",
        ),
    ),
    Rule(
        "Signs & wall art",
        (
            "SIGN", "METAL SIGN", "DOOR SIGN", "DOORSIGN", "PLAQUE", "WALL ART",
            "CHALKBOARD", "BLACKBOARD", "ART PRINT", "POSTER", "NUMBER TILE",
            "WALL HANGING", "CANVAS",
        ),
    ),
    Rule(
        "Photo frames & mirrors",
        (
            "FRAME", "PHOTO FRAME", "PICTURE FRAME", "PHOTOFRAME", "PHOTO ALBUM",
            "ALBUM", "MIRROR", "WALL MIRROR", "PHOTO CLIP", "PHOTO CUBE",
        ),
    ),
    Rule(
        "Clocks",
        (
            "CLOCK", "ALARM CLOCK", "WALL CLOCK",
        ),
    ),
    Rule(
        "Cushions & soft furnishings",
        (
            "CUSHION", "CUSHION COVER", "SQUARECUSHION", "C/COVER", "FILLER PAD",
            "THROW", "BLANKET", "QUILT", "HOT WATER BOTTLE", "HOTTIE", "CURTAIN",
            "TABLECLOTH", "TABLE RUNNER", "POUFFE", "RUG",
        ),
    ),
    Rule(
        "Kitchen & baking",
        (
            "CAKE CASE", "PETIT FOUR CASE", "CAKE STAND", "CAKESTAND", "CAKE TIN",
            "BAKING", "BAKING SET", "BAKING MOULD", "JELLY MOULD", "LOLLY MOULD",
            "COOKIE CUTTER", "BISCUIT CUTTER", "APRON", "OVEN GLOVE", "OVEN MITT",
            "TEA TOWEL", "CHOPPING BOARD", "KITCHEN", "SPOON", "LADLE", "WHISK",
            "FRYING PAN", "MILK PAN", "EGG PAN", "MEASURING", "SCALES", "RECIPE",
            "JAM MAKING", "FOOD COVER", "BREAD BIN", "BISCUIT BIN", "BISCUIT BARREL",
            "MIXING BOWL", "ROLLING PIN", "PAPER DOILY", "ICING", "STORAGE JAR",
            "BISCUIT TIN", "TEA COSY", "EGG COSY", "EGG WARMER", "COLANDER", "SQUEEZER",
            "UTENSIL HOLDER", "CAKE CARRIER", "TOAST RACK", "TOASTRACK", "TEA STRAINER",
            "COFFEE CONTAINER", "TEA CONTAINER", "CANISTER", "CANNISTER",
            "POPCORN HOLDER", "CAKE FORK", "CAKE SLICE", "36 DOILIES", "COFFEE GRINDER",
            "KITCHEN THERMOMETER", "WASHING UP",
        ),
        weak=(
            "DOILY", "SUGAR", "TEA", "COFFEE", "CAKE", "LOLLY", "JAM", "PANTRY",
            "DISPENSER",
        ),
    ),
    Rule(
        "Mugs & tableware",
        (
            "MUG", "CUP", "SAUCER", "TEACUP", "TEA CUP", "TEAPOT", "TEA SET",
            "TEA FOR ONE", "COFFEE SET", "PLATE", "BOWL", "BEAKER", "JUG", "TUMBLER",
            "NAPKIN", "NAPKIN CHARM", "CUTLERY", "CHOPSTICKS", "CONDIMENT", "PLACEMAT",
            "PLACE SETTING", "COASTER", "EGG CUP", "EGG HOLDER", "STRAW", "SUNDAE DISH",
            "DISH", "TRAY", "WINE GLASS", "DRINKING GLASS", "APERITIF GLASS", "GOBLET",
            "SUGAR BOWL", "BUTTER DISH", "SALT AND PEPPER", "PLATTER", "FLASK",
            "BOTTLE", "WATER BOTTLE", "CHARGER", "TEA CADDY", "FRUIT BOWL", "FRUITBOWL",
        ),
        weak=(
            "GLASS", "CHAMPAGNE", "CHALICE",
        ),
    ),
    Rule(
        "Lunch boxes & picnic",
        (
            "LUNCH BOX", "LUNCHBOX", "LUNCH BAG", "PICNIC", "FOOD CONTAINER",
            "SNACK BOX", "SANDWICH BOX", "ROUND CONTAINER",
        ),
    ),
    Rule(
        "Bags & purses",
        (
            "BAG", "JUMBO BAG", "SHOPPER", "TOTE", "HANDBAG", "PURSE", "WALLET",
            "BACKPACK", "RUCKSACK", "SHOULDER BAG", "PASSPORT COVER",
            "TRAVEL CARD WALLET", "COIN PURSE", "SHOPPING BAG", "CARD HOLDER",
            "VIPPASSPORT COVER", "CARDHOLDER", "LUGGAGE TAG",
        ),
    ),
    Rule(
        "Jewellery",
        (
            "NECKLACE", "NECKL", "NECKLAC", "GARLAND NECKLACE", "GARLAND NECKL",
            "EARRINGS", "BRACELET", "BRACLET", "BANGLE", "RING", "BROOCH", "PENDANT",
            "CHARM", "JEWELLERY", "CHOKER", "ANKLET", "LARIAT", "JEWEL STAND",
        ),
    ),
    Rule(
        "Accessories",
        (
            "HAIR", "HAIR CLIP", "HAIR SLIDE", "HAIRSLIDE", "HAIR GRIP", "HAIR TIE",
            "HAIRCLIP", "HAIRBAND", "HAIR BAND", "HAIR COMB", "KEY RING", "KEYRING",
            "KEY FOB", "KEY-CHAIN", "KEYCHAIN", "PHONE CHARM", "BAG CHARM", "UMBRELLA",
            "SCARF", "HAT", "GLOVES", "SUNGLASSES", "COMPACT MIRROR", "EAR MUFF",
            "BADGE", "HAND WARMER", "POCKET WARMER", "SLIPPER", "SOCK", "PONCHO",
            "GLASSES CASE", "FAN", "COSMETIC BAG",
        ),
        weak=(
            "CLIPS", "SLIDE",
        ),
    ),
    Rule(
        "Stationery",
        (
            "NOTEBOOK", "NOTE BOOK", "NOTEPAD", "NOTE PAD", "PEN", "PENCIL",
            "COLOURING PENCILS", "CRAYON", "ERASER", "RUBBER", "RULER", "STICKER",
            "DIARY", "JOURNAL", "CALENDAR", "ADDRESS BOOK", "MEMO", "MEMO BOARD",
            "MEMOBOARD", "BOOKMARK", "BOOK MARK", "STATIONERY", "WRITING SET",
            "PENCIL CASE", "SHARPENER", "PAPER CLIP", "ENVELOPE", "MAGNETIC NOTEPAD",
            "SKETCHBOOK", "POCKET BOOK", "EXERCISE BOOK", "SCRAP BOOK", "NOTELETS",
            "POSTCARD", "HOLE PUNCH", "TAPE DISPENSER", "SCISSOR", "CALCULATOR",
            "PAPERWEIGHT", "P'WEIGHT", "TOAST ITS", "SHOPPING LIST", "CHALK",
        ),
        weak=(
            "TAPE", "TAPES",
        ),
    ),
    Rule(
        "Cards & gift wrap",
        (
            "CARD", "GREETING CARD", "BIRTHDAY CARD", "BLANK CARD", "WRAP", "GIFT WRAP",
            "WRAPPING PAPER", "GIFT TAG", "RIBBON", "GIFT BAG", "TISSUE PAPER",
            "GIFT TAPE", "WRAPPING TAPE",
        ),
    ),
    Rule(
        "Party supplies",
        (
            "PARTY", "BALLOON", "BUNTING", "PAPER CHAIN", "PARTY BAG", "PAPER CUP",
            "PAPER PLATE", "CONFETTI", "PARTY HAT", "PARTY LIGHTS", "HONEYCOMB",
            "PAPER LANTERN", "POM POM", "WATER BOMB", "PINATA", "CAKE CANDLES",
            "COCKTAIL", "TIARA", "GRASS SKIRT", "SOMBRERO", "FANCY DRESS", "FLAG",
            "PENNANT", "ROSETTE", "DISCO",
        ),
        weak=(
            "LEIS",
        ),
    ),
    Rule(
        "Toys, games & kids",
        (
            "TOY", "SOFT TOY", "GAME", "JIGSAW", "PUZZLE", "PLAYING CARDS", "DOMINOES",
            "SKITTLES", "SKIPPING ROPE", "SKIPPPING ROPE", "SPINNING TOP", "KITE",
            "WINDMILL", "DOLL", "DOLLHOUSE", "DOLLS HOUSE", "PLAYHOUSE",
            "MODELLING CLAY", "KNITTING NANCY", "TEDDY", "MARBLES", "YO-YO",
            "BUILDING BLOCKS", "ALPHABET BLOCKS", "HELICOPTER", "PUPPET", "LUDO",
            "BINGO", "NAUGHTS & CROSSES", "NOUGHTS & CROSSES", "DINOSAUR SET",
            "CREEPY CRAWLIE", "FLYING DISC", "INFLATABLE", "PAINT SET", "COLOURING SET",
            "ROCKING HORSE", "FARM ANIMAL", "BUBBLES", "GLOW IN DARK", "TATTOO",
            "BEACH SPADE", "SANDCASTLE", "MONEY BANK", "PIGGY BANK", "COOKING SET",
            "TEA SET FOR", "CARD GAME", "HARMONICA",
        ),
        weak=(
            "CHILDS", "CHILDRENS", "CHILDREN", "KIDS", "BABY", "BIB", "NURSERY",
            "SPACEBOY", "DOLLY GIRL", "MAGIC", "NINJA", "MONSTER", "SPACE", "PONY",
            "STRESS BALL", "RAIN MAC", "SNAKE", "DRAWING SLATE",
        ),
    ),
    Rule(
        "Crafts & sewing",
        (
            "SEWING", "SEWING KIT", "SEWING BOX", "KNITTING", "KNITTING KIT", "CRAFT",
            "CRAFT KIT", "BUTTONS", "NEEDLE", "THREAD", "EMBROIDERY KIT", "PIN CUSHION",
            "TAPE MEASURE", "PATCHES", "IRON ON", "STAMP SET", "REPAIR KIT",
            "PAINT YOUR OWN",
        ),
        weak=(
            "FELTCRAFT", "CROCHET", "SEW ON", "KIT",
        ),
    ),
    Rule(
        "Garden & outdoors",
        (
            "GARDEN MARKER", "GARDEN SET", "GARDEN TOOL", "GARDENING", "GARDEN FORK",
            "GARDEN TROWEL", "SECATEURS", "PLANT POT", "PLANTER", "FLOWER POT",
            "HERB POT", "WATERING CAN", "BIRD FEEDER", "BIRD HOUSE", "BIRDHOUSE",
            "BIRD TABLE", "BIRD BATH", "TROWEL", "GNOME", "HERB MARKER", "PLANT CAGE",
            "THERMOMETER", "SEED", "PARASOL", "HAMMOCK", "KNEELING PAD", "KNEELING MAT",
            "POTTING SHED", "GROW YOUR OWN", "TWINE", "WINDSOCK", "FLY SWAT",
        ),
        weak=(
            "GARDEN", "BICYCLE", "SPIRIT LEVEL", "SCREWDRIVER", "TOOL SET", "PLANT",
        ),
    ),
    Rule(
        "Bathroom & beauty",
        (
            "SOAP", "SOAP DISH", "BATHROOM", "BATH", "TOWEL", "WASHBAG", "WASH BAG",
            "TOILETRY", "MAKE UP", "MAKEUP", "COSMETIC", "TISSUES", "TISSUE BOX",
            "TOOTHBRUSH", "LIP GLOSS", "NAIL FILE", "SPONGE", "SHOWER", "TOILET",
            "FLANNEL", "FIRST AID", "PLASTERS",
        ),
    ),
    Rule(
        "Storage & boxes",
        (
            "BOX", "TIN", "STORAGE", "BASKET", "JAR", "DRAWER", "CABINET", "CRATE",
            "TRINKET BOX", "TRINKET POT", "TRINKET TRAY", "CHEST", "HAMPER",
            "JEWELLERY BOX", "MONEY BOX", "TIDY", "BUCKET", "POT", "CONTAINER", "BIN",
            "WASTE BIN", "WASTEPAPER BIN",
        ),
    ),
    Rule(
        "Home accessories",
        (
            "DOORMAT", "DOORSTOP", "DOOR STOP", "DRAUGHT EXCLUDER", "COAT RACK", "HOOK",
            "HANGER", "KNOB", "DRAWER KNOB", "DRAWERKNOB", "DOOR KNOB", "COAT HANGER",
            "PEG", "SHELF", "SHELVING", "MAGNET", "FRIDGE MAGNET", "BOOKEND",
            "DOOR HANGER", "RACK", "LETTER RACK", "LETTER HOLDER", "KEY CABINET",
            "KEY HOLDER", "WALL ORGANISER", "ORGANISER", "IRONING BOARD", "DOORBELL",
            "NEWSPAPER STAND", "MAT",
        ),
        weak=(
            "ASHTRAY", "MATCHES", "BASE", "BASIN", "TABLE",
        ),
    ),
    Rule(
        "Furniture",
        (
            "CHAIR", "STOOL", "LOVE SEAT", "DESK", "BENCH", "SIDE TABLE", "TRAY TABLE",
            "ROUND TABLE", "COFFEE TABLE", "PARTITION PANEL", "SCREEN", "FOLDING TABLE",
        ),
    ),
    Rule(
        "Gadgets",
        (
            "RADIO", "SPEAKER", "HEADPHONES", "ELECTRONIC", "IPOD", "USB",
        ),
    ),
)  # fmt: skip
