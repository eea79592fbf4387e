-- CreateTable
CREATE TABLE "ValueCount" (
    "propertyId" INTEGER NOT NULL,
    "key" TEXT NOT NULL,
    "count" INTEGER NOT NULL,

    PRIMARY KEY ("propertyId", "key")
);

-- CreateTable
CREATE TABLE "TypeCount" (
    "typeId" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "count" INTEGER NOT NULL
);
